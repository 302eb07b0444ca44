/**
 * The service API's credentials: an API key as `Authorization: Bearer ck_live_...` or as
 * `X-Service-Key` (SERVICE_API_KEY, when set, is one more key). The key is checked by its
 * hash against the database on every request (cached at most one second), so a revoked
 * key is refused at once here and on every other instance (PostgreSQL: the revocation is
 * announced with NOTIFY; SQLite: within the second).
 */
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { ApiKeyCheck, ApiKeyIdentity } from '../../core/api-keys/api-key-check.js';
import { getMemberCustomer } from '../../core/customers/upsert-customer.js';
import type { DB } from '../../db/schema.js';
import { HttpError } from '../http-errors.js';
import { bearerToken } from './auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey: ApiKeyIdentity | null;
  }
}

/** The key a request presents (X-Service-Key first, then a Bearer token), or null. */
export function presentedKey(req: FastifyRequest): string | null {
  const h = req.headers['x-service-key'];
  if (h !== undefined) return Array.isArray(h) ? (h[0] ?? '') : h;
  return bearerToken(req);
}

/** Whether the request presents something meant as a service key rather than a user's token. */
export function looksLikeServiceKey(req: FastifyRequest, bootstrapKey: string | undefined): boolean {
  if (req.headers['x-service-key'] !== undefined) return true;
  const t = bearerToken(req);
  return t !== null && (t.startsWith('ck_') || (bootstrapKey !== undefined && t === bootstrapKey));
}

/** onRequest hook: puts the key (and a service principal) on the request, or answers 401. */
export function makeAuthenticateService(check: ApiKeyCheck) {
  return async function authenticateService(req: FastifyRequest) {
    const key = presentedKey(req);
    if (!key) throw new HttpError('unauthorized', 'An API key is required: `Authorization: Bearer ck_live_...` or `X-Service-Key`.');
    const identity = await check.check(key);
    if (!identity) throw new HttpError('unauthorized', 'The API key is unknown or revoked.');
    req.apiKey = identity;
    req.principal = { id: 'service', role: 'admin', email: 'service', name: identity.name };
  };
}

/** The key of a request that passed authenticateService. */
export function apiKeyOf(req: FastifyRequest): ApiKeyIdentity {
  if (!req.apiKey) throw new HttpError('unauthorized', 'An API key is required.');
  return req.apiKey;
}

/** The idempotency scope of a key: two keys never see each other's keys. */
export function keyScope(key: ApiKeyIdentity): string {
  return `apikey:${key.id}`;
}

/** The idempotency scope of a service request: its API key's. */
export function serviceScope(req: FastifyRequest): string {
  return keyScope(apiKeyOf(req));
}

/**
 * A service request that charges a customer its body names: the API key, the key's
 * idempotency scope, and the customer (with the member who caused it, for an organisation;
 * unknown: 404).
 */
export async function namedCustomer(db: Kysely<DB>, req: FastifyRequest, named: { customer: string; member?: string | undefined }) {
  const key = apiKeyOf(req);
  return { key, scope: keyScope(key), customer: await getMemberCustomer(db, named.customer, named.member) };
}
