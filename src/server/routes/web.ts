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
import type { App } from '../context.js';

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
  const index = precompressed(indexFile);
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: false,
    wildcard: false,
    // scripts/web-assets.mjs writes .br and .gz beside each asset; served to clients that accept them (with Vary).
    preCompressed: true,
    setHeaders(res, path) {
      res.header('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const sendIndex = (req: FastifyRequest, reply: FastifyReply) => {
    const encoding = pickEncoding(req.headers['accept-encoding'], index);
    reply.header('cache-control', 'no-cache').header('vary', 'Accept-Encoding').type('text/html; charset=utf-8');
    if (encoding !== 'identity') reply.header('content-encoding', encoding);
    return reply.send(index[encoding]);
  };
  app.get('/', { schema: { hide: true } }, (req, reply) => sendIndex(req, reply));
  return (req, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    if (req.method !== 'GET' || API_PREFIXES.some((p) => path.startsWith(p))) return false;
    sendIndex(req, reply);
    return true;
  };
}

type Encoding = 'br' | 'gzip' | 'identity';

/** A file and the compressed copies scripts/web-assets.mjs wrote beside it. */
function precompressed(file: string): Partial<Record<Encoding, Buffer>> & { identity: Buffer } {
  const variants: Partial<Record<Encoding, Buffer>> & { identity: Buffer } = { identity: readFileSync(file) };
  if (existsSync(`${file}.br`)) variants.br = readFileSync(`${file}.br`);
  if (existsSync(`${file}.gz`)) variants.gzip = readFileSync(`${file}.gz`);
  return variants;
}

/** The best encoding the client accepts (Accept-Encoding, q=0 refuses) that we have. */
function pickEncoding(header: string | string[] | undefined, have: Partial<Record<Encoding, Buffer>>): Encoding {
  const accepted = new Set<string>();
  for (const part of String(header ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (name && !(q && Number(q.slice(2)) === 0)) accepted.add(name);
  }
  for (const e of ['br', 'gzip'] as const) if (have[e] && (accepted.has(e) || accepted.has('*'))) return e;
  return 'identity';
}
