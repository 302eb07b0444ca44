/**
 * Authentication: HS256 JWTs through jose (the algorithm pinned on verify), the
 * principal on the request, and role guards. The user's role is read from the
 * database (cached for 2 s) rather than trusted from the token, so a demotion takes
 * effect at once on this instance and within 2 s on the others.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SignJWT, jwtVerify } from 'jose';
import type { Kysely } from 'kysely';
import type { DB, Role } from '../../db/schema.js';
import { HttpError } from '../http-errors.js';

export interface Principal {
  id: string;
  role: Role;
  email: string;
  name: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const ISSUER = 'credit-billing';

export class Tokens {
  private readonly secret: Uint8Array<ArrayBuffer>;
  private key: Promise<CryptoKey> | undefined;
  /** Tokens already verified, with their subject and expiry (seconds). */
  private readonly verified = new Map<string, { sub: string; exp: number }>();
  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly maxCached = 10_000,
  ) {
    this.secret = new TextEncoder().encode(secret);
  }

  /**
   * The HMAC key, imported once: handing jose the raw bytes makes it import a key on
   * every call, which was about 5% of the metered path's CPU.
   */
  private cryptoKey(): Promise<CryptoKey> {
    this.key ??= crypto.subtle.importKey('raw', this.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    return this.key;
  }

  /** A signed token for the user, valid for the configured time. */
  async sign(userId: string): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${this.ttlSeconds}s`)
      .sign(await this.cryptoKey());
  }

  /**
   * The user id of a valid token, or null (bad signature, expired, other algorithm, or no
   * `exp` at all: a token that never expires is refused even when its signature is good).
   * A token that verified once is remembered (by its exact text) until it expires, so a
   * client reusing its token pays for the signature check once; a changed byte is a
   * different string and is verified afresh. The map is bounded: when full it is cleared.
   */
  async verify(token: string): Promise<string | null> {
    const now = Math.floor(Date.now() / 1000);
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.exp > now) return hit.sub;
      this.verified.delete(token);
      return null;
    }
    try {
      const { payload } = await jwtVerify(token, await this.cryptoKey(), { algorithms: ['HS256'], issuer: ISSUER, requiredClaims: ['exp', 'sub'] });
      if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return null;
      if (this.verified.size >= this.maxCached) this.verified.clear();
      this.verified.set(token, { sub: payload.sub, exp: payload.exp });
      return payload.sub;
    } catch {
      return null;
    }
  }
}

/** Users by id, cached briefly; invalidated at once on a local change. */
export class UserCache {
  private cache = new Map<string, { p: Principal | null; at: number }>();
  constructor(
    private readonly db: Kysely<DB>,
    private readonly ttlMs = 2000,
  ) {}

  invalidate(id: string) {
    this.cache.delete(id);
  }

  async get(id: string): Promise<Principal | null> {
    const hit = this.cache.get(id);
    const now = Date.now();
    if (hit && now - hit.at < this.ttlMs) return hit.p;
    const row = await this.db
      .selectFrom('users')
      .select(['id', 'role', 'email', 'name'])
      .where('id', '=', id)
      .executeTakeFirst();
    const p = row ? { id: row.id, role: row.role, email: row.email, name: row.name } : null;
    if (this.cache.size > 100_000) this.cache.clear();
    this.cache.set(id, { p, at: now });
    return p;
  }
}

export function bearerToken(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? (m[1] as string) : null;
}

export function makeAuthenticate(tokens: Tokens, users: UserCache) {
  /** Puts the principal on the request, or answers 401. */
  return async function authenticate(req: FastifyRequest, _reply: FastifyReply) {
    const token = bearerToken(req);
    if (!token) throw new HttpError('unauthorized', 'Sign in first: a Bearer token is required.');
    const id = await tokens.verify(token);
    const p = id ? await users.get(id) : null;
    if (!p) throw new HttpError('unauthorized', 'The token is invalid or expired.');
    req.principal = p;
  };
}

export function isAdmin(p: Principal | null): boolean {
  return p?.role === 'admin' || p?.role === 'super_admin';
}

/** Answers 403 unless the principal is an admin or super admin. */
export async function requireAdmin(req: FastifyRequest) {
  if (!isAdmin(req.principal)) throw new HttpError('forbidden', 'This needs an administrator.');
}

export function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new HttpError('unauthorized', 'Sign in first.');
  return req.principal;
}
