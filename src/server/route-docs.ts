/**
 * The parts every route's schema repeats: the error answers and the Bearer security. The
 * statuses are the error table's (http-errors.ts); the answers' schemas are the contract's.
 */
import { errorSchema } from '../contracts/common.js';

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

/**
 * The options of a file's routes: `hooks` (who may call them, e.g. `{ onRequest: [authenticate, requireAdmin] }`)
 * and each route's schema, documented under `tag` with the Bearer security:
 * `const route = signedInRoutes(guard, 'admin')`, then `app.get(path, route(summary, description, { querystring, response }), handler)`.
 */
export function signedInRoutes<H extends object>(hooks: H, tag: string) {
  return <S extends object>(summary: string, description: string, schema: S) => ({
    ...hooks,
    schema: { ...signedIn(tag, summary, description), ...schema },
  });
}
