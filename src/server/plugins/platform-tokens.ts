/**
 * Tokens of the platform's identity provider (API.md, "Identity from the platform"):
 * RS256, ES256 or EdDSA JWTs signed by a key of the platform's JWKS (AUTH_JWKS_URL, or
 * the `jwks_uri` of AUTH_ISSUER's OpenID configuration), with the configured issuer and
 * audience and an expiry. The keys come from jose's remote key set: fetched on first
 * use, kept (refetched after 10 minutes), and refetched when a token names an unknown
 * `kid`, at most once per AUTH_JWKS_COOLDOWN_SECONDS (30 s; so a rotated key works within
 * that, and a flood of made-up kids costs the provider one request per period).
 *
 * A token's `sub` is the user's `external_id`: the user and their account are created the
 * first time it is seen (core/accounts/ensure-external-user.ts), with the email and name
 * of the configured claims. AUTH_ROLE_CLAIM, when set, names a claim whose value
 * (`admin` or `super_admin`, or a list holding them) grants that role for as long as the
 * token says so: it is never written to the user.
 *
 * A token that verified once is remembered by its exact text until it expires, as the
 * built-in ones are, so a client reusing its token pays for the signature once.
 */
import { createRemoteJWKSet, customFetch, type FlattenedJWSInput, type JWSHeaderParameters, type JWTPayload, jwtVerify } from 'jose';
import type { PlatformAuthConfig } from '../../config.js';
import type { ExternalIdentity } from '../../core/accounts/ensure-external-user.js';
import { validExternalId } from '../../core/accounts/ensure-external-user.js';
import type { Role } from '../../db/schema.js';
import { VerifiedTokens } from './verified-tokens.js';

export const PLATFORM_ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
const FETCH_TIMEOUT_MS = 5000;
const CLOCK_TOLERANCE_S = 30;

/** The identity provider's keys could not be had (network, timeout, not 200, not JSON): not the token's fault. */
export class KeysUnavailable extends Error {}

export interface PlatformUser {
  userId: string;
  /** The role the token grants (AUTH_ROLE_CLAIM), or null. */
  grants: Role | null;
}

type KeySet = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey | Uint8Array>;

/** Fetches JSON for jose, turning every failure into KeysUnavailable (and only those). */
async function fetchKeys(url: string | URL | Request, init?: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (e) {
    throw new KeysUnavailable(`The identity provider's keys could not be fetched: ${(e as Error).message}`);
  }
  if (res.status !== 200) throw new KeysUnavailable(`The identity provider's keys answered ${res.status}.`);
  const text = await res.text().catch((e: Error) => {
    throw new KeysUnavailable(`The identity provider's keys could not be read: ${e.message}`);
  });
  try {
    JSON.parse(text);
  } catch {
    throw new KeysUnavailable("The identity provider's keys are not JSON.");
  }
  return new Response(text, { status: 200, headers: { 'content-type': 'application/json' } });
}

/** The highest role of admin/super_admin a claim value names, or null. */
export function roleFromClaim(v: unknown): Role | null {
  const values = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  if (values.includes('super_admin')) return 'super_admin';
  if (values.includes('admin')) return 'admin';
  return null;
}

/** The stronger of two roles. */
export function strongerRole(a: Role, b: Role | null): Role {
  const rank = { user: 0, admin: 1, super_admin: 2 } as const;
  return b && rank[b] > rank[a] ? b : a;
}

export class PlatformTokens {
  private keySet: Promise<KeySet> | undefined;
  private readonly verified: VerifiedTokens<PlatformUser & { exp: number }>;
  private readonly pending = new Map<string, Promise<{ id: string }>>();

  constructor(
    private readonly cfg: PlatformAuthConfig,
    /** Finds or creates the user of a platform identity. */
    private readonly ensureUser: (identity: ExternalIdentity) => Promise<{ id: string }>,
    maxCached = 10_000,
  ) {
    this.verified = new VerifiedTokens(maxCached, CLOCK_TOLERANCE_S);
  }

  private keys(): Promise<KeySet> {
    this.keySet ??= this.resolveKeys().catch((e) => {
      this.keySet = undefined; // try discovery again on the next token
      throw e;
    });
    return this.keySet;
  }

  /** The remote key set: AUTH_JWKS_URL, or the `jwks_uri` of the issuer's OpenID configuration. */
  private async resolveKeys(): Promise<KeySet> {
    let url = this.cfg.jwksUrl;
    if (!url) {
      const issuer = this.cfg.issuer as string;
      const res = await fetchKeys(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`, {
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
        redirect: 'manual',
      });
      const doc = (await res.json()) as { issuer?: unknown; jwks_uri?: unknown };
      // OpenID Connect Discovery: the document's issuer is exactly the one it was fetched for.
      if (doc.issuer !== issuer)
        throw new KeysUnavailable(`The OpenID configuration of ${issuer} names another issuer (${String(doc.issuer)}).`);
      if (typeof doc.jwks_uri !== 'string' || !/^https?:\/\//.test(doc.jwks_uri))
        throw new KeysUnavailable(`The OpenID configuration of ${issuer} names no jwks_uri.`);
      url = doc.jwks_uri;
    }
    return createRemoteJWKSet(new URL(url), {
      cooldownDuration: this.cfg.cooldownMs,
      cacheMaxAge: 10 * 60_000,
      timeoutDuration: FETCH_TIMEOUT_MS,
      [customFetch]: fetchKeys,
    });
  }

  /**
   * The user of a valid platform token, or null when the token is not one (bad signature,
   * unknown key, other algorithm, issuer or audience, expired, no `sub`). Throws
   * KeysUnavailable when the keys could not be fetched.
   */
  async verify(token: string): Promise<PlatformUser | null> {
    const hit = this.verified.get(token, Math.floor(Date.now() / 1000));
    if (hit !== undefined) return hit === 'expired' ? null : hit;
    const keys = await this.keys();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms: PLATFORM_ALGORITHMS,
        audience: this.cfg.audience,
        ...(this.cfg.issuer ? { issuer: this.cfg.issuer } : {}),
        requiredClaims: ['sub', 'exp'],
        clockTolerance: CLOCK_TOLERANCE_S,
      }));
    } catch (e) {
      if (e instanceof KeysUnavailable) throw e;
      return null;
    }
    const sub = payload.sub;
    if (typeof sub !== 'string' || !validExternalId(sub) || typeof payload.exp !== 'number') return null;
    const user = await this.userOf({
      externalId: sub,
      email: payload[this.cfg.emailClaim] as string | undefined,
      name: payload[this.cfg.nameClaim] as string | undefined,
      // The provider vouches for the address: an existing user holding it (without a platform id) is this one.
      linkEmail: payload.email_verified === true,
    });
    const found = { userId: user.id, grants: this.cfg.roleClaim ? roleFromClaim(payload[this.cfg.roleClaim]) : null, exp: payload.exp };
    this.verified.set(token, found);
    return found;
  }

  /** One first sight per external id at a time on this instance (others wait for it). */
  private userOf(identity: ExternalIdentity): Promise<{ id: string }> {
    const running = this.pending.get(identity.externalId);
    if (running) return running;
    const p = this.ensureUser(identity).finally(() => this.pending.delete(identity.externalId));
    this.pending.set(identity.externalId, p);
    return p;
  }
}
