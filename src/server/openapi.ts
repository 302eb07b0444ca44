/**
 * The finishing touches of the OpenAPI document that the route schemas cannot carry:
 * an example request and answer for every operation (openapi-examples.ts), which bodies
 * are optional, the multipart body of an upload, the raw body of Stripe's webhook, the content
 * types of the answers that are not JSON (metrics, the balance stream), and the headers the
 * routes read themselves (X-Account, Idempotency-Key).
 */
import { type Endpoint, endpoints } from '../contracts/endpoints.js';
import { EXAMPLES } from './openapi-examples.js';
import { ACCOUNT_ROUTES } from './plugins/account.js';

interface Media {
  schema?: Record<string, unknown>;
  example?: unknown;
}
interface Operation {
  security?: Record<string, unknown>[];
  parameters?: Record<string, unknown>[];
  requestBody?: { required?: boolean; description?: string; content: Record<string, Media> };
  responses?: Record<string, { description?: string; content?: Record<string, Media> }>;
}
interface Document {
  paths?: Record<string, Record<string, Operation>>;
}

/** Request bodies the route schemas do not describe (they are not parsed as JSON). */
const RAW_BODIES: Record<string, { description: string; type: string; schema: Record<string, unknown> }> = {
  'POST /api/files': {
    description: 'One file in the field `file`.',
    type: 'multipart/form-data',
    schema: { type: 'object', properties: { file: { type: 'string', format: 'binary' } }, required: ['file'] },
  },
  'POST /api/credits/stripe/webhook': {
    description: 'A Stripe event, exactly as Stripe sent it (the signature covers the raw bytes).',
    type: 'application/json',
    schema: { type: 'object', properties: { id: { type: 'string' }, type: { type: 'string' } }, required: ['id', 'type'] },
  },
};

/** Adds the examples, raw bodies and non-JSON content types to the generated document. */
export function decorateDocument<T>(document: T): T {
  const doc = document as Document;
  const op = (key: string): Operation | undefined => {
    const [method = '', path = ''] = key.split(' ');
    return doc.paths?.[path]?.[method.toLowerCase()];
  };
  /** The operation of a route as the contract keys it (`:id` parameters). */
  const routeOp = (route: string) => op(route.replace(/:([A-Za-z_]\w*)/g, '{$1}'));
  for (const [key, body] of Object.entries(RAW_BODIES)) {
    const o = op(key);
    if (o && !o.requestBody)
      o.requestBody = { required: true, description: body.description, content: { [body.type]: { schema: body.schema } } };
  }
  // @fastify/swagger marks every body required; a body the contract takes absent is not
  // (an absent body reaches the route's schema as null, as Fastify hands it on).
  for (const [key, e] of Object.entries(endpoints)) {
    const o = 'body' in e ? routeOp(key) : undefined;
    if (o?.requestBody && 'body' in e && e.body.safeParse(null).success) o.requestBody.required = false;
  }
  // X-Account on every route that acts on an account (plugins/account.ts).
  for (const route of ACCOUNT_ROUTES) {
    const o = routeOp(route);
    if (!o) continue;
    o.parameters ??= [];
    o.parameters.push({
      name: 'X-Account',
      in: 'header',
      required: false,
      schema: { type: 'string' },
      description:
        'The account to act on (an id from GET /api/accounts): absent, the caller\u2019s personal account. An account the caller is not a member of is 404; on an organisation, buying credits, changing settings and seeing payments need its owner or admin (a member: 403 `forbidden`).',
    });
  }
  // Idempotency-Key on every operation that moves credits or money (the contract's `idempotent`;
  // the routes read it through plugins/idempotency.ts).
  for (const [route, ep] of Object.entries(endpoints) as [string, Endpoint][]) {
    const o = ep.idempotent ? routeOp(route) : undefined;
    if (!o) continue;
    o.parameters ??= [];
    o.parameters.push(idempotencyKeyHeader(ep.idempotent === 'required'));
  }
  impliedRefusals(doc);
  for (const [key, ex] of Object.entries(EXAMPLES)) {
    const o = op(key);
    if (!o) continue;
    if (ex.request !== undefined && o.requestBody) {
      const media = o.requestBody.content[ex.requestType ?? 'application/json'];
      if (media) media.example = ex.request;
    }
    const response = o.responses?.[String(ex.response.status)];
    if (!response || ex.response.status === 204) continue;
    const type = ex.response.type ?? 'application/json';
    response.content ??= {};
    response.content[type] ??= { schema: { type: 'string' } };
    (response.content[type] as Media).example = ex.response.body;
  }
  return document;
}

/** The Idempotency-Key header parameter: optional, or required where the route refuses a request without one. */
function idempotencyKeyHeader(required: boolean): Record<string, unknown> {
  return {
    name: 'Idempotency-Key',
    in: 'header',
    required,
    schema: { type: 'string', minLength: 1, maxLength: 255 },
    description: [
      required ? 'Required: without one, 400 `validation_error`.' : 'Optional; send one to make a retry safe.',
      'The same key with the same request replays the first answer (`Idempotent-Replayed: true`) and moves nothing again;',
      'with another request it is 409 `idempotency_conflict`. Keys are scoped to the caller (on the service API, to its API key).',
    ].join(' '),
  };
}

/** An error answer in the contract's shape (components.schemas.Error). */
const refusal = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/**
 * The refusals every route of a kind gives, whatever its own list says: a review matched
 * every answer the routes gave against the document and found these left out. 401 where
 * credentials are asked for; 404 where X-Account may name an account; 400 and 415 where a
 * body is parsed (a body that is not JSON, or a content type the route does not parse,
 * refused before the handler; an empty JSON body is no body, app.ts); 413 for a body past the limit.
 */
function impliedRefusals(doc: Document): void {
  for (const [path, ops] of Object.entries(doc.paths ?? {})) {
    for (const [method, o] of Object.entries(ops)) {
      const key = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
      o.responses ??= {};
      const responses = o.responses;
      const add = (status: number, description: string) => {
        responses[String(status)] ??= refusal(description);
      };
      if (o.security?.length) add(401, 'No valid credentials: `unauthorized`.');
      if (path.includes('{') || method === 'delete')
        add(400, 'A path parameter that breaks its rule (an id past its length), or a malformed body: `validation_error`.');
      if (path.startsWith('/api/')) {
        add(429, 'With RATE_LIMIT_PER_MINUTE set, too many requests from this address: `rate_limited`, with Retry-After.');
        add(
          503,
          'The service sheds load (`overloaded`: too many requests in progress, a slow event loop or a full heap) or its database does not answer (`database_unavailable`); nothing was written: retry after a moment.',
        );
      }
      // No content: nothing for a client to parse (the contract's z.null()).
      const noContent = responses['204'];
      if (noContent) delete noContent.content;
      if (ACCOUNT_ROUTES.has(key)) add(404, 'X-Account names an account the caller is not a member of: `not_found`.');
      if (method === 'post' || method === 'put' || method === 'patch') {
        add(400, 'A malformed body, a body missing where the route needs one, or a field that breaks its rule: `validation_error`.');
        add(413, 'A body past the size limit: `payload_too_large`.');
        if (key !== 'POST /api/credits/stripe/webhook')
          add(415, 'A body in a content type the route does not take: `unsupported_media_type`.');
      }
    }
  }
}
