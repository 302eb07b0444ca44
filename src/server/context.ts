/**
 * What the server's parts share: the typed Fastify instance (`App`), what createApp is
 * given (`AppDeps`) and what every route module receives (`AppContext`). Routes import
 * this module, never app.ts (which imports them).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance, RawServerDefault, RouteOptions } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from '../config.js';
import { ensureExternalUser } from '../core/accounts/ensure-external-user.js';
import { ApiKeyCheck } from '../core/api-keys/api-key-check.js';
import { API_KEY_REVOKED } from '../core/api-keys/revoke-api-key.js';
import type { Core } from '../core/index.js';
import { Cursors } from './cursor.js';
import type { BalanceEvents } from './events.js';
import type { Metrics } from './metrics.js';
import { Tokens, UserCache, makeAuthenticate } from './plugins/auth.js';
import { CreditGuard } from './plugins/credit-guard.js';
import { PlatformTokens } from './plugins/platform-tokens.js';
import { makeAuthenticateService } from './plugins/service-auth.js';
import { Idempotency } from './plugins/idempotency.js';
import type { Services } from './services.js';

export type App = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export interface AppDeps {
  config: Config;
  core: Core;
  metrics: Metrics;
  events: BalanceEvents;
  services: Services;
  /** Pino options or false (tests). */
  logger?: boolean | object;
  /** Extra routes registered with the others (benchmarks add a bare baseline route). */
  extraRoutes?: (app: App) => void | Promise<void>;
  /** Sees every route as it is registered (test/api/endpoints.test.ts checks them against the contract's endpoint map). */
  onRoute?: (route: RouteOptions) => void;
  /** Set `stopping` when a stop begins (main.ts); a fresh one is made when absent. */
  lifecycle?: Lifecycle;
}

/** Whether the service is stopping: new requests are then refused with 503 and their connections closed. */
export interface Lifecycle {
  stopping: boolean;
}

/** What every route module receives. */
export interface AppContext extends AppDeps {
  lifecycle: Lifecycle;
  tokens: Tokens;
  users: UserCache;
  idempotency: Idempotency;
  guard: CreditGuard;
  cursors: Cursors;
  authenticate: ReturnType<typeof makeAuthenticate>;
  /** The platform's tokens, when AUTH_JWKS_URL or AUTH_ISSUER is set. */
  platformTokens?: PlatformTokens;
  /** Service API keys, checked by hash against the database (cached at most 1 s). */
  apiKeys: ApiKeyCheck;
  /** onRequest hook of the service API: an API key, else 401. */
  authenticateService: ReturnType<typeof makeAuthenticateService>;
}

/** The context of one app: the tokens, caches and guards its routes share; `log` is the app's. */
export function createContext(deps: AppDeps, log: FastifyBaseLogger): AppContext {
  const { config, core } = deps;
  const tokens = new Tokens(config.jwtSecret, config.jwtTtlSeconds);
  const users = new UserCache(core.database.db);
  const idempotency = new Idempotency(core.database.db);
  const platformTokens = config.platformAuth
    ? new PlatformTokens(config.platformAuth, (identity) =>
        ensureExternalUser(core.writer, core.database.db, identity, { signupBonusMc: config.signupBonusMc }),
      )
    : undefined;
  const apiKeys = new ApiKeyCheck(core.database.db, {
    bootstrapKey: config.serviceApiKey,
    onError: (e) => log.warn({ err: e }, "could not record an API key's last use"),
  });
  // A user changed on another instance (role, revoked tokens): forget them here at once; a key
  // revoked there (or changes missed while the listener was away): forget every cached key.
  deps.events.onUserChanged((id) => {
    if (id === API_KEY_REVOKED || id === null) apiKeys.invalidate();
    if (id !== API_KEY_REVOKED) users.invalidate(id);
  });
  return {
    ...deps,
    lifecycle: deps.lifecycle ?? { stopping: false },
    tokens,
    users,
    idempotency,
    guard: new CreditGuard(core, idempotency, deps.metrics),
    cursors: new Cursors(config.jwtSecret),
    authenticate: makeAuthenticate(tokens, users, platformTokens, config.builtinAuth),
    ...(platformTokens ? { platformTokens } : {}),
    apiKeys,
    authenticateService: makeAuthenticateService(apiKeys),
  };
}
