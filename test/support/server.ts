/**
 * A real server for HTTP tests: a fresh database of the given dialect, the whole app
 * listening on a free port, and a small client (typed by the contract's endpoint map;
 * `request` stays untyped for tests that send malformed input on purpose). Environment
 * overrides go through loadConfig exactly as in production.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import type { CallArgs, EndpointKey, ResponseOf } from '../../src/contracts/endpoints.js';
import { requestTarget } from '../../src/contracts/paths.js';
import type { ErrorCode, Shape } from '../../src/contracts/types.js';

/**
 * The contract's error. Its details differ by code (a 400's `fields`, a 402's `required` and
 * `available`, an id...), so tests read them untyped.
 */
// biome-ignore lint/suspicious/noExplicitAny: the details' shape depends on the error code
type ErrorBody = { error: { code: ErrorCode; message: string; details?: Record<string, any> } };
import type { Dialect } from '../../src/db/open.js';
import { type Running, startServer } from '../../src/main.js';
import type { AppDeps } from '../../src/server/app.js';
import { TEST_LEDGER_KEY, TEST_PG_URL } from './db.js';
import type { AnswerOf } from './paths.js';
import { TEST_PASSWORD } from './factories.js';

export interface TestServer {
  url: string;
  running: Running;
  dialect: Dialect;
  dataDir: string;
  pgSchema: string | undefined;
  /** Env the server was started with (for a second instance on the same database). */
  env: Record<string, string>;
  api: Client;
  /** Registers a new user; returns their token and user object. */
  register(opts?: { email?: string; name?: string; password?: string }): Promise<{ token: string; user: Shape<'User'>; api: Client }>;
  /** A user of the given role (created directly), signed in. */
  userWithRole(role: 'user' | 'admin' | 'super_admin'): Promise<{ token: string; user: Shape<'User'>; api: Client }>;
  /** A valid built-in token for the user, of their current token generation (as a sign-in would issue). */
  tokenFor(userId: string): Promise<string>;
  /** Grants credits to a user as a purchase through the ledger. */
  grant(userId: string, credits: number): Promise<void>;
  stop(): Promise<void>;
}

export interface Res<T = any> {
  status: number;
  /** The parsed JSON (the text otherwise); for a typed call, typed as its success answer. */
  body: T;
  /** The contract's error of a refused request (`{error: {...}}` of the body), else undefined. */
  error: ErrorBody['error'] | undefined;
  headers: Headers;
  text: string;
}

export class Client {
  constructor(
    readonly base: string,
    readonly token?: string,
  ) {}

  withToken(token: string | undefined) {
    return new Client(this.base, token);
  }

  async request<T = any>(
    method: string,
    path: string,
    opts: { body?: unknown; headers?: Record<string, string>; raw?: string | Uint8Array | FormData } = {},
  ): Promise<Res<T>> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (this.token && !('authorization' in headers)) headers.authorization = `Bearer ${this.token}`;
    let body: BodyInit | undefined;
    if (opts.raw !== undefined) body = opts.raw as BodyInit;
    else if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(opts.body);
    }
    const res = await fetch(this.base + path, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const error = res.status >= 400 && parsed && typeof parsed === 'object' ? (parsed as Partial<ErrorBody>).error : undefined;
    return { status: res.status, body: parsed as T, error, headers: res.headers, text };
  }

  /**
   * A call by the contract's endpoint key ("GET /api/credits/balance"): `params`, `query` and
   * `body` typed by the route's schemas, the body of a success typed by its answer schema.
   * A body that is FormData goes as multipart; a POST without a body sends `{}`.
   */
  call<K extends EndpointKey>(key: K, ...[req]: CallArgs<K, { headers?: Record<string, string> }>): Promise<Res<ResponseOf<K>>> {
    const r = (req ?? {}) as {
      params?: Record<string, string>;
      query?: Record<string, unknown>;
      body?: unknown;
      headers?: Record<string, string>;
    };
    const { method, path } = requestTarget(key, r.params, r.query);
    const headers = r.headers ? { headers: r.headers } : {};
    if (r.body instanceof FormData) return this.request(method, path, { raw: r.body, ...headers });
    const body = r.body ?? (method === 'GET' ? undefined : {});
    return this.request(method, path, { ...(body === undefined ? {} : { body }), ...headers });
  }

  /**
   * A request by its concrete path, its answer typed by the contract when the path names an
   * endpoint ("/api/credits/balance", `/api/admin/users/${id}/usage?from=...`; see
   * paths.ts), `unknown` when none does (or the path is a `string` the compiler cannot see
   * into). A refusal's `{error}` is in `error`, not in the typed `body`.
   */
  get<P extends string>(path: P, headers?: Record<string, string>) {
    return this.request<AnswerOf<'GET', P>>('GET', path, headers ? { headers } : {});
  }
  post<P extends string>(path: P, body?: unknown, headers?: Record<string, string>) {
    return this.request<AnswerOf<'POST', P>>('POST', path, { body: body ?? {}, ...(headers ? { headers } : {}) });
  }
  put<P extends string>(path: P, body?: unknown, headers?: Record<string, string>) {
    return this.request<AnswerOf<'PUT', P>>('PUT', path, { body: body ?? {}, ...(headers ? { headers } : {}) });
  }
  patch<P extends string>(path: P, body?: unknown, headers?: Record<string, string>) {
    return this.request<AnswerOf<'PATCH', P>>('PATCH', path, { body: body ?? {}, ...(headers ? { headers } : {}) });
  }
}

/**
 * A value of several shapes (a sign-up that signed in or sent a mail; a call ended or still
 * ending; backups on or off) narrowed to the one with `field`; the test fails when it lacks it.
 */
export function having<T, F extends string>(value: T, field: F): Extract<T, { [P in F]: unknown }> {
  if (value === null || typeof value !== 'object' || !(field in value)) throw new Error(`expected ${field} in ${JSON.stringify(value)}`);
  return value as Extract<T, { [P in F]: unknown }>;
}

/** The OpenAPI document as the tests read it (GET /openapi.json is no endpoint of the contract's map). */
// biome-ignore lint/suspicious/noExplicitAny: the document is walked freely
export type OpenApiDoc = { openapi: string; paths: Record<string, any>; [k: string]: any };

let counter = 0;

/** `share`: another server's database (a second instance on the same Postgres schema or SQLite file). */
export async function startTestServer(
  dialect: Dialect,
  env: Record<string, string> = {},
  share?: TestServer,
  logger: boolean | object = false,
  observe: { onRoute?: AppDeps['onRoute']; extraRoutes?: AppDeps['extraRoutes'] } = {},
): Promise<TestServer> {
  const dataDir = share ? share.dataDir : mkdtempSync(join(tmpdir(), 'credits-http-'));
  let pgSchema: string | undefined = share?.pgSchema;
  if (dialect === 'postgres' && !share) {
    pgSchema = `h_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const c = new pg.Client({ connectionString: TEST_PG_URL });
    await c.connect();
    await c.query(`create schema ${pgSchema}`);
    await c.end();
  }
  const fullEnv: Record<string, string> = {
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789',
    LEDGER_KEY: TEST_LEDGER_KEY,
    SQLITE_SYNCHRONOUS: 'NORMAL',
    LOG_LEVEL: 'silent',
    PG_POOL_SIZE: '4',
    // This server shares its event loop with the test runner (and Playwright, fast-check...),
    // so the loop's delay measures the test, not the server: that shedding trigger is off
    // here. The in-progress cap stays; test/reliability runs servers in their own process
    // with the production defaults.
    MAX_EVENT_LOOP_DELAY_MS: '0',
    ...(dialect === 'postgres' ? { DATABASE_URL: TEST_PG_URL } : {}),
    ...env,
  };
  const config = loadConfig(fullEnv as NodeJS.ProcessEnv);
  const running = await startServer(config, { logger, ...(pgSchema ? { pgSchema } : {}), ...observe });
  const url = running.url;
  const api = new Client(url);
  const server: TestServer = {
    url,
    running,
    dialect,
    dataDir,
    pgSchema,
    env: fullEnv,
    api,
    async register(opts = {}) {
      counter++;
      const email = opts.email ?? `u${counter}-${Math.random().toString(36).slice(2, 8)}@example.com`;
      const r = await api.call('POST /api/auth/register', {
        body: { email, name: opts.name ?? `User ${counter}`, password: opts.password ?? TEST_PASSWORD },
      });
      if (r.status !== 201 || !('token' in r.body)) throw new Error(`register failed: ${r.status} ${r.text}`);
      return { token: r.body.token, user: r.body.user, api: api.withToken(r.body.token) };
    },
    async userWithRole(role) {
      const { token, user } = await server.register();
      if (role !== 'user') {
        await running.core.database.db.updateTable('users').set({ role }).where('id', '=', user.id).execute();
      }
      return { token, user, api: api.withToken(token) };
    },
    async tokenFor(userId) {
      const row = await running.core.database.db
        .selectFrom('users')
        .select('token_version')
        .where('id', '=', userId)
        .executeTakeFirstOrThrow();
      return new SignJWT({ tv: Number(row.token_version) })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuer('credit-billing')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(fullEnv.JWT_SECRET));
    },
    async grant(userId, credits) {
      await running.core.ledger.grant(userId, Math.round(credits * 1000), 'purchase');
    },
    async stop() {
      await running.stop();
      if (share) return;
      rmSync(dataDir, { recursive: true, force: true });
      if (pgSchema) {
        const c = new pg.Client({ connectionString: TEST_PG_URL });
        await c.connect();
        await c.query(`drop schema if exists ${pgSchema} cascade`);
        await c.end();
      }
    },
  };
  return server;
}
