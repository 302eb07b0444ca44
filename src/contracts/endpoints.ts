/**
 * Every operation of the HTTP API in one typed map: its method and path, and the schemas
 * its route validates with (`params`, `query`, `body`) and answers by (`responses`, the
 * success statuses). The routes register these same objects (test/api/endpoints.test.ts
 * checks each against what the server registered), and the request and answer types of
 * the dashboard's client and the tests' client are inferred from them, never written again.
 */
import type { z } from 'zod';
import {
  adjustmentBody,
  adjustmentResponse,
  adminPaymentsPage,
  adminPaymentsQuery,
  adminUsersPage,
  adminUsersQuery,
  analyticsQuery,
  analyticsResponse,
  auditPage,
  packageCreate,
  packagePatch,
  packageResponse,
  pricingCreate,
  pricingPatch,
  refundBody,
  refundResponse,
  roleBody,
  roleResponse,
  ruleResponse,
  userDetail,
} from './admin.js';
import {
  authResponse,
  emailOnlyBody,
  loginBody,
  mailRequestedResponse,
  meResponse,
  registerBody,
  resetPasswordBody,
  verificationSentResponse,
  verifyEmailBody,
} from './auth.js';
import {
  callIdParams,
  callsPage,
  endCallBody,
  endCallEndingResponse,
  endCallSettledResponse,
  listCallsQuery,
  startCallBody,
  startCallResponse,
  vapiWebhookBody,
  vapiWebhookResponse,
} from './calls.js';
import { idParam, paginationQuery } from './common.js';
import { balanceSchema, estimateBody, estimateResponse, packagesList, pricingRulesList } from './credits.js';
import {
  alertReadResponse,
  alertsPage,
  paymentsPage,
  purchaseBody,
  purchaseResponse,
  settingsSchema,
  settingsUpdate,
  stripeWebhookResponse,
  transactionsCsv,
  transactionsCsvQuery,
  transactionsPage,
  transactionsQuery,
  usageQuery,
  usageResponse,
} from './credits-extra.js';
import { configResponse, liveResponse, readyResponse } from './operations.js';
import { messageBody, messageResponse, uploadResponse, usageBody, usageRecordResponse, workflowBody, workflowParams, workflowResponse } from './platform.js';
import { setupBody, setupResponse, setupStatus } from './setup.js';

/** One operation: the schemas of its request parts and of its success answers by status. */
export interface Endpoint {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The success answers by status (a non-JSON answer: the schema of its text). */
  responses: { [status: number]: z.ZodType };
  /** Moves credits or money: a client sends an `Idempotency-Key`, so a retry replays the first answer. */
  idempotent?: true;
  /** The body is multipart form data (a file), not JSON. */
  multipart?: true;
  /** A Server-Sent Events stream instead of one answer: the data of each event by name. */
  events?: { [event: string]: z.ZodType };
}

export const endpoints = {
  'GET /health/live': { responses: { 200: liveResponse } },
  'GET /health/ready': { responses: { 200: readyResponse } },
  'GET /metrics': { responses: {} },
  'GET /api/config': { responses: { 200: configResponse } },

  'POST /api/auth/register': { body: registerBody, responses: { 201: authResponse, 202: verificationSentResponse } },
  'POST /api/auth/login': { body: loginBody, responses: { 200: authResponse } },
  'POST /api/auth/verify-email': { body: verifyEmailBody, responses: { 200: authResponse } },
  'POST /api/auth/verify-email/resend': { body: emailOnlyBody, responses: { 202: mailRequestedResponse } },
  'POST /api/auth/forgot-password': { body: emailOnlyBody, responses: { 202: mailRequestedResponse } },
  'POST /api/auth/reset-password': { body: resetPasswordBody, responses: { 200: authResponse } },
  'GET /api/auth/me': { responses: { 200: meResponse } },
  'GET /api/setup': { responses: { 200: setupStatus } },
  'POST /api/setup': { body: setupBody, responses: { 201: setupResponse } },

  'GET /api/credits/balance': { responses: { 200: balanceSchema } },
  'GET /api/credits/packages': { responses: { 200: packagesList } },
  'GET /api/credits/pricing': { responses: { 200: pricingRulesList } },
  'POST /api/credits/estimate': { body: estimateBody, responses: { 200: estimateResponse } },
  'GET /api/credits/transactions': { query: transactionsQuery, responses: { 200: transactionsPage } },
  'GET /api/credits/transactions.csv': { query: transactionsCsvQuery, responses: { 200: transactionsCsv } },
  'GET /api/credits/usage': { query: usageQuery, responses: { 200: usageResponse } },
  'GET /api/credits/alerts': { query: paginationQuery, responses: { 200: alertsPage } },
  'POST /api/credits/alerts/:id/read': { params: idParam, responses: { 200: alertReadResponse } },
  'GET /api/credits/settings': { responses: { 200: settingsSchema } },
  'PUT /api/credits/settings': { body: settingsUpdate, responses: { 200: settingsSchema } },
  'GET /api/credits/payments': { query: paginationQuery, responses: { 200: paymentsPage } },
  'POST /api/credits/purchase': { body: purchaseBody, responses: { 201: purchaseResponse }, idempotent: true },
  'GET /api/credits/stream': { responses: {}, events: { balance: balanceSchema } },
  'POST /api/credits/stripe/webhook': { responses: { 200: stripeWebhookResponse } },

  'POST /api/messages': { body: messageBody, responses: { 201: messageResponse }, idempotent: true },
  'POST /api/vapi/calls': { body: startCallBody, responses: { 201: startCallResponse }, idempotent: true },
  'GET /api/vapi/calls': { query: listCallsQuery, responses: { 200: callsPage } },
  'POST /api/vapi/calls/:id/end': { params: callIdParams, body: endCallBody, responses: { 200: endCallSettledResponse, 202: endCallEndingResponse } },
  'POST /api/vapi/webhook': { body: vapiWebhookBody, responses: { 200: vapiWebhookResponse } },
  'POST /api/files': { responses: { 201: uploadResponse }, idempotent: true, multipart: true },
  'POST /api/workflows/:id/execute': { params: workflowParams, body: workflowBody, responses: { 201: workflowResponse }, idempotent: true },
  'POST /api/usage': { body: usageBody, responses: { 201: usageRecordResponse } },

  'GET /api/admin/users': { query: adminUsersQuery, responses: { 200: adminUsersPage } },
  'GET /api/admin/users/:id': { params: idParam, responses: { 200: userDetail } },
  'PATCH /api/admin/users/:id': { params: idParam, body: roleBody, responses: { 200: roleResponse } },
  'POST /api/admin/users/:id/adjustments': { params: idParam, body: adjustmentBody, responses: { 201: adjustmentResponse }, idempotent: true },
  'GET /api/admin/packages': { responses: { 200: packagesList } },
  'POST /api/admin/packages': { body: packageCreate, responses: { 201: packageResponse } },
  'PATCH /api/admin/packages/:id': { params: idParam, body: packagePatch, responses: { 200: packageResponse } },
  'GET /api/admin/pricing': { responses: { 200: pricingRulesList } },
  'POST /api/admin/pricing': { body: pricingCreate, responses: { 201: ruleResponse } },
  'PATCH /api/admin/pricing/:id': { params: idParam, body: pricingPatch, responses: { 200: ruleResponse } },
  'GET /api/admin/payments': { query: adminPaymentsQuery, responses: { 200: adminPaymentsPage } },
  'POST /api/admin/payments/:id/refund': { params: idParam, body: refundBody, responses: { 200: refundResponse }, idempotent: true },
  'GET /api/admin/analytics': { query: analyticsQuery, responses: { 200: analyticsResponse } },
  'GET /api/admin/audit': { query: paginationQuery, responses: { 200: auditPage } },
} as const satisfies Record<string, Endpoint>;

export type Endpoints = typeof endpoints;

/** "METHOD /path", the path with `:name` parameters as the routes declare it. */
export type EndpointKey = keyof Endpoints;

type Schema<K extends EndpointKey, Part extends 'params' | 'query' | 'body'> = Endpoints[K] extends { [P in Part]: infer S extends z.ZodType } ? S : never;

/** What a client sends for a part of the request (before the schema's transforms). */
export type ParamsOf<K extends EndpointKey> = z.input<Schema<K, 'params'>>;
export type QueryOf<K extends EndpointKey> = z.input<Schema<K, 'query'>>;
export type BodyOf<K extends EndpointKey> = Endpoints[K] extends { multipart: true } ? FormData : z.input<Schema<K, 'body'>>;

/** The answer of a success, whichever of its statuses (a union where there are several). */
export type ResponseOf<K extends EndpointKey> = {
  [S in keyof Endpoints[K]['responses']]: Endpoints[K]['responses'][S] extends z.ZodType ? z.output<Endpoints[K]['responses'][S]> : never;
}[keyof Endpoints[K]['responses']];

/** The data of a Server-Sent Event of an endpoint that streams. */
export type EventOf<K extends EndpointKey, E extends string> = Endpoints[K] extends { events: { [P in E]: infer S extends z.ZodType } } ? z.output<S> : never;

/** Whether the endpoint takes an Idempotency-Key. */
export type IsIdempotent<K extends EndpointKey> = Endpoints[K] extends { idempotent: true } ? true : false;

type Has<K extends EndpointKey, Part extends 'params' | 'query' | 'body'> = Endpoints[K] extends { [P in Part]: z.ZodType } ? true : Part extends 'body' ? (Endpoints[K] extends { multipart: true } ? true : false) : false;

/**
 * The request parts of a call: `params` when the path has some, `query` when the route
 * reads one, `body` when it takes one (optional when the schema allows none).
 */
export type RequestOf<K extends EndpointKey> = (Has<K, 'params'> extends true ? { params: ParamsOf<K> } : { params?: never }) &
  (Has<K, 'query'> extends true ? (Partial<QueryOf<K>> extends QueryOf<K> ? { query?: QueryOf<K> } : { query: QueryOf<K> }) : { query?: never }) &
  (Has<K, 'body'> extends true ? (undefined extends BodyOf<K> ? { body?: BodyOf<K> } : { body: BodyOf<K> }) : { body?: never });

/** The arguments after the key: none needed when every part is optional. */
export type CallArgs<K extends EndpointKey, Extra = unknown> =
  Partial<RequestOf<K> & Extra> extends RequestOf<K> & Extra ? [request?: RequestOf<K> & Extra] : [request: RequestOf<K> & Extra];
