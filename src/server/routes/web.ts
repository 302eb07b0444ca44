/**
 * The dashboard: the built assets of src/web (dist/web) served by the same process.
 * Hashed assets are cached for a year (immutable); index.html is revalidated on every
 * load, and any GET for a page (not the API) answers index.html so the client router
 * takes over. Without a build (tests that do not need it), the API runs alone.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.js';

const API_PREFIXES = ['/api/', '/health/', '/metrics', '/docs', '/openapi.json'];

export function webRoot(): string {
  // src/server/routes -> repo root (also from dist/server/routes).
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../dist/web');
}

/** Registers the static files; returns the SPA fallback for the not-found handler, or null without a build. */
export async function webRoutes(app: App): Promise<((req: FastifyRequest, reply: FastifyReply) => boolean) | null> {
  const root = webRoot();
  const indexFile = join(root, 'index.html');
  if (!existsSync(indexFile)) return null;
  const index = readFileSync(indexFile);
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: false,
    wildcard: false,
    setHeaders(res, path) {
      res.header('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const sendIndex = (reply: FastifyReply) => reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(index);
  app.get('/', { schema: { hide: true } }, (_req, reply) => sendIndex(reply));
  return (req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    if (req.method !== 'GET' || API_PREFIXES.some((p) => path.startsWith(p))) return false;
    sendIndex(reply);
    return true;
  };
}
