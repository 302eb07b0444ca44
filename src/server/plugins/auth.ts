/**
 * Authentication: built-in HS256 JWTs through jose (the algorithm pinned on verify) and,
 * when configured, the platform's tokens (plugins/platform-tokens.ts); the principal on
 * the request, and role guards. The user's role is read from the database rather than
 * trusted from a built-in token. A built-in token carries its user's token generation
 * (`tv`) and is refused once the user's generation has moved on (sign-out, password
 * change, role change). Users are cached for 2 s (one query per user at a time); a change drops the copy at once on its
 * own instance and, on PostgreSQL, on every other instance through NOTIFY
 * (core/accounts/token-version.ts), the 2 s bounding it if a notification is lost.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose';
import type { Kysely } from 'kysely';
import { SettingsCache } from '../../core/settings-cache.js';
import type { DB, Role } from '../../db/schema.js';
import { HttpError } from '../http-errors.js';
import { KeysUnavailable, type PlatformTokens, strongerRole } from './platform-tokens.js';
import { VerifiedTokens } from './verified-tokens.js';

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

/** What a valid built-in token says: its user and the token generation it was issued in. */
export interface BuiltinClaims {
  sub: string;
  tv: number;
}

/** A user as cached: the principal and their current token generation. */
export interface CachedUser extends Principal {
  tokenVersion: number;
}

export class Tokens {
  private readonly secret: Uint8Array<ArrayBuffer>;
  private key: Promise<CryptoKey> | undefined;
  /** Tokens already verified, with their subject, generation and expiry (seconds). */
  private readonly verified: VerifiedTokens<BuiltinClaims & { exp: number }>;
  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    maxCached = 10_000,
  ) {
    this.secret = new TextEncoder().encode(secret);
    this.verified = new VerifiedTokens(maxCached);
  }

  /**
   * The HMAC key, imported once: handing jose the raw bytes makes it import a key on
   * every call, which was about 5% of the metered path's CPU.
   */
  private cryptoKey(): Promise<CryptoKey> {
    this.key ??= crypto.subtle.importKey('raw', this.secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    return this.key;
  }

  /** A signed token for the user, of their current token generation, valid for the configured time. */
  async sign(userId: string, tokenVersion: number): Promise<string> {
    return new SignJWT({ tv: tokenVersion })
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
   * different string and is verified afresh (VerifiedTokens, bounded).
   */
  async verify(token: string): Promise<BuiltinClaims | null> {
    const hit = this.verified.get(token, Math.floor(Date.now() / 1000));
    if (hit !== undefined) return hit === 'expired' ? null : hit;
    try {
      const { payload } = await jwtVerify(token, await this.cryptoKey(), {
        algorithms: ['HS256'],
        issuer: ISSUER,
        requiredClaims: ['exp', 'sub'],
      });
      if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return null;
      // A token of the release before has no generation: it counts as the first one.
      const tv = payload.tv === undefined ? 0 : payload.tv;
      if (typeof tv !== 'number' || !Number.isSafeInteger(tv)) return null;
      const claims = { sub: payload.sub, tv, exp: payload.exp };
      this.verified.set(token, claims);
      return claims;
    } catch {
      return null;
    }
  }
}

/**
 * Users by id, cached briefly; invalidated at once on a local change. Concurrent misses of
 * one user share one query (at expiry, every request of a busy client used to read the user
 * itself: 80-100 queries per 2 s at 64 connections); a read in flight across an
 * invalidation is never served to a caller that came after it, nor kept (SettingsCache).
 */
export class UserCache {
  private readonly cache: SettingsCache<CachedUser | null>;
  constructor(
    private readonly db: Kysely<DB>,
    ttlMs = 2000,
    now: () => number = Date.now,
  ) {
    this.cache = new SettingsCache(ttlMs, now);
  }

  /** Drops the copy of one user, or of every user (null). */
  invalidate(id: string | null) {
    if (id === null) this.cache.invalidateAll();
    else this.cache.invalidate(id);
  }

  /** The user, from the cache (or a read in flight) unless `fresh`. */
  get(id: string, fresh = false): Promise<CachedUser | null> {
    return this.cache.get(id, () => this.load(id), fresh);
  }

  private async load(id: string): Promise<CachedUser | null> {
    const row = await this.db
      .selectFrom('users')
      .select(['id', 'role', 'email', 'name', 'token_version'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? { id: row.id, role: row.role, email: row.email, name: row.name, tokenVersion: Number(row.token_version) } : null;
  }
}

export function bearerToken(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? (m[1] as string) : null;
}

/** The `alg` a JWT's header names, or null when it is not a JWT. */
export function algOf(token: string): string | null {
  try {
    const alg = decodeProtectedHeader(token).alg;
    return typeof alg === 'string' ? alg : null;
  } catch {
    return null;
  }
}

export function makeAuthenticate(tokens: Tokens, users: UserCache, platform?: PlatformTokens, builtin = true) {
  /** Puts the principal on the request, or answers 401. */
  return async function authenticate(req: FastifyRequest, _reply: FastifyReply) {
    const token = bearerToken(req);
    if (!token) throw new HttpError('unauthorized', 'Sign in first: a Bearer token is required.');
    // Built-in tokens are HS256; anything else can only be the platform's (which never accepts HS256).
    if (platform && algOf(token) !== 'HS256') {
      let found: Awaited<ReturnType<PlatformTokens['verify']>>;
      try {
        found = await platform.verify(token);
      } catch (e) {
        if (e instanceof KeysUnavailable) {
          req.log.warn({ err: { message: e.message } }, 'identity provider keys unavailable');
          throw new HttpError(
            'bad_gateway',
            "The identity provider's keys could not be fetched, so the token cannot be checked; retry shortly.",
            undefined,
            { 'retry-after': '5' },
          );
        }
        throw e;
      }
      const p = found ? await users.get(found.userId) : null;
      if (!found || !p) throw new HttpError('unauthorized', 'The token is invalid or expired.');
      req.principal = { id: p.id, role: strongerRole(p.role, found.grants), email: p.email, name: p.name };
      return;
    }
    // AUTH_BUILTIN=false: the platform's provider alone signs users in, and a built-in token
    // issued before (while it was on) ends with it, as sign-in does.
    if (!builtin) {
      throw new HttpError(
        'unauthorized',
        "Built-in tokens are not accepted on this server (AUTH_BUILTIN=false): sign in through the platform's identity provider.",
      );
    }
    const claims = await tokens.verify(token);
    let p = claims ? await users.get(claims.sub) : null;
    // A token newer than the cached user (issued on another instance after a sign-out there): the copy is stale.
    if (claims && p && claims.tv > p.tokenVersion) p = await users.get(claims.sub, true);
    if (!p) throw new HttpError('unauthorized', 'The token is invalid or expired.');
    if (claims && claims.tv !== p.tokenVersion)
      throw new HttpError('unauthorized', 'This token was ended (signed out, password or role changed); sign in again.');
    req.principal = { id: p.id, role: p.role, email: p.email, name: p.name };
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
