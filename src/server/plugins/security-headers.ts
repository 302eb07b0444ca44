/**
 * Security headers (helmet's, with our Content-Security-Policy), computed once.
 *
 * @fastify/helmet builds a fresh helmet middleware on every request and re-parses the
 * policy each time; profiling the metered path showed that at about 12% of the server's
 * CPU. Nothing in our headers varies per request (no CSP nonces: the dashboard is a
 * static bundle), so helmet runs once at start-up against a recording response and each
 * reply gets the recorded headers.
 */
import type { ServerResponse } from 'node:http';
import helmet from 'helmet';

export const CSP_DIRECTIVES = {
  'script-src': ["'self'", 'https://js.stripe.com'],
  'frame-src': ["'self'", 'https://js.stripe.com', 'https://hooks.stripe.com'],
  'connect-src': ["'self'", 'https://api.stripe.com'],
  'img-src': ["'self'", 'data:', 'https://*.stripe.com'],
  'upgrade-insecure-requests': null,
};

/** The headers helmet sets for our configuration, as one object. */
export function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  } as unknown as ServerResponse;
  let failed: unknown;
  helmet({
    contentSecurityPolicy: { useDefaults: true, directives: CSP_DIRECTIVES },
    crossOriginEmbedderPolicy: false,
  })({} as never, res, (err?: unknown) => {
    failed = err;
  });
  if (failed) throw failed;
  return headers;
}

/**
 * The headers of an answer under /api/: JSON (or a CSV download) that a browser never renders
 * as a page, so of helmet's set only what protects a resource that is not a document
 * (OWASP's REST Security Cheat Sheet): nothing may load from it or frame it, it is never
 * sniffed as HTML, other origins cannot embed it, HTTPS stays on, and no cache keeps it
 * (balances, tokens). The document policies (the dashboard's CSP, COOP, Origin-Agent-Cluster,
 * Referrer-Policy, DNS prefetch, ...) protect nothing on such an answer, and every header
 * costs each request Node's and Fastify's checks (about 1,900 instructions a header;
 * bench/analysis.md, issue 21).
 */
export function apiSecurityHeaders(helmets: Record<string, string>): Record<string, string> {
  return {
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'cross-origin-resource-policy': helmets['cross-origin-resource-policy'] as string,
    'strict-transport-security': helmets['strict-transport-security'] as string,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'cache-control': 'no-store',
  };
}
