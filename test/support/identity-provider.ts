/**
 * A stand-in for the platform's identity provider: a local HTTP server with a JWKS
 * (`/jwks`) and an OpenID configuration (`/.well-known/openid-configuration`), keys
 * generated in the test (RS256, ES256, EdDSA), and a signer of tokens. The keys it
 * publishes can be changed (rotation) and its requests are counted.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, type JWK, SignJWT, exportJWK, generateKeyPair } from 'jose';

export type Alg = 'RS256' | 'ES256' | 'EdDSA';

export interface SigningKey {
  kid: string;
  alg: Alg;
  privateKey: CryptoKey;
  jwk: JWK;
}

export interface IdentityProvider {
  /** The issuer (this server's origin). */
  issuer: string;
  jwksUrl: string;
  /** The keys the JWKS publishes now (replace to rotate). */
  published: SigningKey[];
  /** Requests for the JWKS so far. */
  jwksHits: number;
  /** Answer the JWKS with this status instead (a provider that is down), or null. */
  failWith: number | null;
  newKey(alg: Alg, kid?: string): Promise<SigningKey>;
  sign(
    key: SigningKey,
    claims: Record<string, unknown>,
    opts?: { audience?: string; issuer?: string; expiresIn?: string | number; noExp?: boolean; header?: Record<string, unknown> },
  ): Promise<string>;
  close(): Promise<void>;
}

let kids = 0;

export async function startIdentityProvider(audience: string): Promise<IdentityProvider> {
  const idp: IdentityProvider = {
    issuer: '',
    jwksUrl: '',
    published: [],
    jwksHits: 0,
    failWith: null,
    async newKey(alg, kid = `kid-${++kids}-${alg}`) {
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
      return { kid, alg, privateKey, jwk };
    },
    async sign(key, claims, opts = {}) {
      let jwt = new SignJWT(claims)
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...(opts.header ?? {}) })
        .setIssuer(opts.issuer ?? idp.issuer)
        .setAudience(opts.audience ?? audience)
        .setIssuedAt();
      if (!opts.noExp) jwt = jwt.setExpirationTime(opts.expiresIn ?? '1h');
      return jwt.sign(key.privateKey);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => {
    if (req.url === '/jwks') {
      idp.jwksHits++;
      if (idp.failWith) {
        res.writeHead(idp.failWith).end('down');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: idp.published.map((k) => k.jwk) }));
      return;
    }
    if (req.url === '/.well-known/openid-configuration') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: idp.issuer, jwks_uri: idp.jwksUrl }));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  idp.issuer = `http://127.0.0.1:${port}`;
  idp.jwksUrl = `${idp.issuer}/jwks`;
  return idp;
}
