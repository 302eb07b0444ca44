/**
 * How a route is registered: by its key in the contract's endpoint map
 * (`route('GET /api/orgs/:id/members', handler)`), which gives its method, path and
 * schemas (params, query, body, success answers), so a route file names the endpoint once
 * and never restates a schema. Its summary, description and refusals (answered with the
 * contract's error, under the error table's statuses of http-errors.ts) are its entry in
 * openapi-docs.ts; who may call it is its group's (hooks, tag and security).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  ContextConfigDefault,
  FastifyBaseLogger,
  RawServerDefault,
  RouteGenericInterface,
  RouteHandlerMethod,
  RouteShorthandOptions,
  onRequestHookHandler,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { errorSchema } from '../contracts/common.js';
import { type Endpoint, type EndpointKey, type Endpoints, endpoints } from '../contracts/endpoints.js';
import type { App, AppContext } from './context.js';
import { DOCS, type RefusalStatus, type RouteDoc } from './openapi-docs.js';
import { requireAdmin } from './plugins/auth.js';

/** OpenAPI security requirements: any one of them lets a caller in. */
export type Security = { [name: string]: string[] }[];

/** The Bearer token of a signed-in user. */
export const BEARER: Security = [{ bearer: [] }];

/** The service API's security: an API key, or the service key, as a Bearer token (docs/service-api.md). */
export const SERVICE_SECURITY: Security = [{ apiKey: [] }, { serviceKey: [] }];

type Hooks = onRequestHookHandler | onRequestHookHandler[];

/** Who may call a file's routes: its `onRequest` hooks, and how OpenAPI documents them (tag, security; none: public). */
export interface RouteGroup {
  tag: string;
  security?: Security;
  onRequest?: Hooks;
}

/** What a route changes of its group, or adds to its endpoint, beyond its documentation (openapi-docs.ts). */
export interface RouteOptions<Also extends Answers = Answers> {
  /** Answers other than a success or the contract's error (a 503 of readiness), by status. */
  also?: Also;
  /** Overrides the group's security (a route more open, or reached otherwise). */
  security?: Security | undefined;
  /** Overrides the group's hooks. */
  onRequest?: Hooks;
  /** Route options beyond the schema. */
  options?: Pick<RouteShorthandOptions, 'bodyLimit' | 'config'>;
}

type Answers = { [status: number]: z.ZodType };
type Part<E, P extends string> = E extends { [K in P]: infer S } ? S : undefined;

/** The Fastify schema of an endpoint, for the handler's types: the request parts and every answer. */
type SchemaOf<E extends Endpoint, Also extends Answers> = {
  params: Part<E, 'params'>;
  querystring: Part<E, 'query'>;
  body: Part<E, 'body'>;
  response: E['responses'] & Omit<Record<RefusalStatus, typeof errorSchema>, keyof Also> & Also;
};

/** A handler typed by its endpoint: `req.params`, `req.query` and `req.body` as parsed, the answer as the contract has it. */
export type HandlerOf<K extends EndpointKey, Also extends Answers = Answers> = RouteHandlerMethod<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  RouteGenericInterface,
  ContextConfigDefault,
  SchemaOf<Endpoints[K], Also>,
  ZodTypeProvider,
  FastifyBaseLogger
>;

/** The Fastify schema of an endpoint, documented as the group, the docs and the route say. */
function schemaOf(ep: Endpoint, tag: string, doc: RouteDoc, also: Answers | undefined, security: Security | undefined) {
  const response: Record<number, unknown> = {};
  for (const [status, schema] of Object.entries(ep.responses))
    response[Number(status)] = doc.csv ? { description: doc.csv, content: { 'text/csv': { schema } } } : schema;
  for (const s of doc.refuses) response[s] = errorSchema;
  Object.assign(response, also);
  return {
    tags: [tag],
    summary: doc.summary,
    description: doc.description,
    ...(security ? { security } : {}),
    ...(ep.multipart ? { consumes: ['multipart/form-data'] } : {}),
    ...(ep.params ? { params: ep.params } : {}),
    ...(ep.query ? { querystring: ep.query } : {}),
    ...(ep.body ? { body: ep.body } : {}),
    ...(Object.keys(response).length > 0 ? { response } : {}),
  };
}

/**
 * The registration of a file's routes on `app` (or a scope of it), called by the group:
 * `const route = routes(app, { tag: 'accounts', security: BEARER, onRequest: ctx.authenticate })`,
 * then `route('GET /api/orgs/:id/members', handler)`, or `route(key, options, handler)` for a
 * route that differs from its group.
 */
export function routes(app: App, group: RouteGroup) {
  return <K extends EndpointKey, Also extends Answers = Answers>(
    key: K,
    ...args: [handler: HandlerOf<K, Also>] | [options: RouteOptions<Also>, handler: HandlerOf<K, Also>]
  ) => {
    const [options, handler] = args.length === 1 ? [{} as RouteOptions<Also>, args[0]] : args;
    const at = key.indexOf(' ');
    const doc = DOCS[key];
    if (!doc) throw new Error(`${key} has no entry in the OpenAPI docs (openapi-docs.ts)`);
    const security = 'security' in options ? options.security : group.security;
    const onRequest = options.onRequest ?? group.onRequest;
    app.route({
      method: key.slice(0, at) as 'GET',
      url: key.slice(at + 1),
      ...(onRequest ? { onRequest } : {}),
      ...options.options,
      schema: schemaOf(endpoints[key], group.tag, doc, options.also, security),
      handler: handler as RouteHandlerMethod,
    });
  };
}

/** The routes of a signed-in user (Bearer token), documented under `tag`. */
export function signedInRoutes(app: App, ctx: Pick<AppContext, 'authenticate'>, tag: string) {
  return routes(app, { tag, security: BEARER, onRequest: ctx.authenticate });
}

/**
 * Admin routes, documented under `admin`: signed in, then the admin role, both checked
 * before validation (a non-admin learns nothing about admin request shapes).
 */
export function adminOnlyRoutes(app: App, ctx: Pick<AppContext, 'authenticate'>) {
  return routes(app, { tag: 'admin', security: BEARER, onRequest: [ctx.authenticate, requireAdmin] });
}

/** The service API's routes: its key check, documented under `service` with its security. */
export function serviceRoutes(app: App, ctx: Pick<AppContext, 'authenticateService'>) {
  return routes(app, { tag: 'service', security: SERVICE_SECURITY, onRequest: ctx.authenticateService });
}
