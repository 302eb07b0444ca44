/**
 * The parts every route's schema repeats: the error answers and the Bearer security. The
 * statuses are the error table's (http-errors.ts); the answers' schemas are the contract's.
 */
import { errorSchema } from '../contracts/common.js';
import type { AppContext } from './context.js';
import { requireAdmin } from './plugins/auth.js';

export type RefusalStatus = 400 | 401 | 402 | 403 | 404 | 409 | 410 | 413 | 415 | 429 | 502 | 503;

/** A route's answers: the given ones, and the contract's error body under each refusal status. */
export function answers<T extends object, S extends RefusalStatus>(ok: T, ...refusals: S[]): T & Record<S, typeof errorSchema> {
  const r = { ...ok } as Record<number, unknown>;
  for (const s of refusals) r[s] = errorSchema;
  return r as T & Record<S, typeof errorSchema>;
}

/** A route's tag, summary and description, with the Bearer security. */
export function signedIn(tag: string, summary: string, description: string) {
  return { tags: [tag], summary, description, security: [{ bearer: [] }] };
}

/** A CSV answer's OpenAPI entry: its description and the contract's schema of the text. */
export function csvAnswer<S>(description: string, schema: S) {
  return { description, content: { 'text/csv': { schema } } };
}

/** The service API's security: an API key, or the service key, as a Bearer token (docs/service-api.md). */
export const SERVICE_SECURITY: { [name: string]: string[] }[] = [{ apiKey: [] }, { serviceKey: [] }];

/** A route's tag, summary, description and security, as OpenAPI documents them. */
type Docs = { tags: string[]; summary: string; description: string; security: { [name: string]: string[] }[] };

/** The options of a file's routes: its `hooks`, and each route's schema after the documentation `docs` gives it. */
function documentedRoutes<H extends object>(hooks: H, docs: (summary: string, description: string) => Docs) {
  return <S extends object>(summary: string, description: string, schema: S) => ({
    ...hooks,
    schema: { ...docs(summary, description), ...schema },
  });
}

/**
 * The options of a file's routes: `hooks` (who may call them, e.g. `{ onRequest: ctx.authenticate }`)
 * and each route's schema, documented under `tag` with the Bearer security:
 * `const route = signedInRoutes(auth, 'credits')`, then `app.get(path, route(summary, description, { querystring, response }), handler)`.
 */
export function signedInRoutes<H extends object>(hooks: H, tag: string) {
  return documentedRoutes(hooks, (summary, description) => signedIn(tag, summary, description));
}

/**
 * The options of admin routes, documented under `admin`: signed in, then the admin role,
 * both checked before validation (a non-admin learns nothing about admin request shapes).
 */
export function adminOnlyRoutes(ctx: Pick<AppContext, 'authenticate'>) {
  return signedInRoutes({ onRequest: [ctx.authenticate, requireAdmin] }, 'admin');
}

/** The options of the service API's routes (`hooks`: its key check), documented under `service` with its security. */
export function serviceRoutes<H extends object>(hooks: H) {
  return documentedRoutes(hooks, (summary, description) => ({ tags: ['service'], summary, description, security: SERVICE_SECURITY }));
}
