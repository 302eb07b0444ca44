/**
 * Every operation of the HTTP API in one typed map: its method and path, and the schemas
 * its route validates with (`params`, `query`, `body`) and answers by (`responses`, the
 * success statuses). The routes register these same objects (test/api/endpoints.test.ts
 * checks each against what the server registered), and the request and answer types of
 * the dashboard's client and the tests' client are inferred from them, never written again.
 */
import type { z } from 'zod';
import * as admin from './admin.js';
import * as adminOrgs from './admin-orgs.js';
import * as auth from './auth.js';
import * as calls from './calls.js';
import * as common from './common.js';
import * as credits from './credits.js';
import * as creditsExtra from './credits-extra.js';
import * as operations from './operations.js';
import * as platform from './platform.js';
// In the order the routes first used them, which is the order of the OpenAPI document's
// components (a schema with an id is registered when its module loads).
import * as webhooks from './webhooks.js';
import * as service from './service.js';
import * as promo from './promo.js';
import * as setup from './setup.js';
import * as holds from './holds.js';
import * as orgs from './orgs.js';

/** One operation: the schemas of its request parts and of its success answers by status. */
export interface Endpoint {
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  /** The success answers by status (a non-JSON answer: the schema of its text). */
  responses: { [status: number]: z.ZodType };
  /**
   * Moves credits or money: a client sends an `Idempotency-Key`, so a retry replays the first
   * answer (`'required'`: the route refuses a request without one).
   */
  idempotent?: true | 'required';
  /** The body is multipart form data (a file), not JSON. */
  multipart?: true;
  /** A Server-Sent Events stream instead of one answer: the data of each event by name. */
  events?: { [event: string]: z.ZodType };
}

/** The parts of an operation besides its answers. */
type Parts = Omit<Endpoint, 'responses'>;
type Answers = Endpoint['responses'];
/** No parts: an operation without params, query or body. */
type None = Record<never, never>;
/** An operation's entry (its parts are what was given, never inferred from the map's type). */
type Op<R extends Answers, P extends Parts> = NoInfer<P> & { responses: R };

/** An operation: its success answers by status, and the parts of its request (`params`, `query`, `body`...). */
function answering<const R extends Answers, const P extends Parts = None>(responses: R, parts?: P): Op<R, P> {
  return { ...parts, responses } as Op<R, P>;
}
/** An operation whose one success is 200 with `answer`. */
const ok = <const S extends z.ZodType, const P extends Parts = None>(answer: S, parts?: P) => answering({ 200: answer }, parts);
/** An operation whose one success is 201 (made) with `answer`. */
const created = <const S extends z.ZodType, const P extends Parts = None>(answer: S, parts?: P) => answering({ 201: answer }, parts);
/** An operation whose one success is 202 (accepted, done later) with `answer`. */
const accepted = <const S extends z.ZodType, const P extends Parts = None>(answer: S, parts?: P) => answering({ 202: answer }, parts);

/** An admin's adjustment of an account's credits: a user's and an organisation's take the same request and answer. */
const adjustCredits = created(admin.adjustmentResponse, { params: common.idParam, body: admin.adjustmentBody, idempotent: true });

/** A request for a mail with a link (verification again, password reset): an address in, the same answer whether it has an account or not. */
const requestMail = accepted(auth.mailRequestedResponse, { body: auth.emailOnlyBody });

export const endpoints = {
  'GET /health/live': ok(operations.liveResponse),
  'GET /health/ready': ok(operations.readyResponse),
  'GET /metrics': answering({}),
  'GET /api/config': ok(operations.configResponse),

  'GET /api/setup': ok(setup.setupStatus),
  'POST /api/setup': created(setup.setupResponse, { body: setup.setupBody }),
  'POST /api/auth/register': answering({ 201: auth.authResponse, 202: auth.verificationSentResponse }, { body: auth.registerBody }),
  'POST /api/auth/login': ok(auth.authResponse, { body: auth.loginBody }),
  'GET /api/auth/me': ok(auth.meResponse),
  'POST /api/auth/verify-email': ok(auth.authResponse, { body: auth.verifyEmailBody }),
  'POST /api/auth/verify-email/resend': requestMail,
  'POST /api/auth/forgot-password': requestMail,
  'POST /api/auth/reset-password': ok(auth.authResponse, { body: auth.resetPasswordBody }),
  'POST /api/auth/password': ok(auth.authResponse, { body: auth.changePasswordBody }),
  'POST /api/auth/logout': ok(auth.signedOutResponse),

  'GET /api/credits/balance': ok(credits.balanceSchema),
  'GET /api/credits/packages': ok(credits.packagesList),
  'GET /api/credits/pricing': ok(credits.pricingRulesList),
  'POST /api/credits/estimate': ok(credits.estimateResponse, { body: credits.estimateBody }),
  'GET /api/credits/transactions': ok(creditsExtra.transactionsPage, { query: creditsExtra.transactionsQuery }),
  'GET /api/credits/transactions.csv': ok(creditsExtra.transactionsCsv, { query: creditsExtra.transactionsCsvQuery }),
  'GET /api/credits/usage': ok(creditsExtra.usageResponse, { query: creditsExtra.usageQuery }),
  'GET /api/credits/usage.csv': ok(creditsExtra.usageCsv, { query: creditsExtra.usageQuery }),
  'GET /api/credits/grants': ok(creditsExtra.grantsPage, { query: creditsExtra.grantsQuery }),
  'POST /api/credits/redeem': created(promo.redeemResponse, { body: promo.redeemBody, idempotent: true }),
  'GET /api/credits/alerts': ok(creditsExtra.alertsPage, { query: common.paginationQuery }),
  'POST /api/credits/alerts/:id/read': ok(creditsExtra.alertReadResponse, { params: common.idParam }),
  'GET /api/credits/settings': ok(creditsExtra.settingsSchema),
  'PUT /api/credits/settings': ok(creditsExtra.settingsSchema, { body: creditsExtra.settingsUpdate }),
  'GET /api/credits/holds': ok(holds.holdsPage, { query: holds.holdsQuery }),
  'GET /api/credits/payments': ok(creditsExtra.paymentsPage, { query: common.paginationQuery }),
  'POST /api/credits/purchase': created(creditsExtra.purchaseResponse, { body: creditsExtra.purchaseBody, idempotent: true }),
  'GET /api/credits/stream': answering({}, { events: { balance: credits.balanceSchema } }),
  'POST /api/credits/stripe/webhook': ok(creditsExtra.stripeWebhookResponse),

  'POST /api/messages': created(platform.messageResponse, { body: platform.messageBody, idempotent: true }),
  'POST /api/vapi/calls': created(calls.startCallResponse, { body: calls.startCallBody, idempotent: true }),
  'GET /api/vapi/calls': ok(calls.callsPage, { query: calls.listCallsQuery }),
  'POST /api/vapi/calls/:id/end': answering(
    { 200: calls.endCallSettledResponse, 202: calls.endCallEndingResponse },
    { params: calls.callIdParams, body: calls.endCallBody, idempotent: true },
  ),
  'POST /api/vapi/webhook': ok(calls.vapiWebhookResponse, { body: calls.vapiWebhookBody }),
  'POST /api/files': created(platform.uploadResponse, { idempotent: true, multipart: true }),
  'POST /api/workflows/:id/execute': created(platform.workflowResponse, {
    params: platform.workflowParams,
    body: platform.workflowBody,
    idempotent: true,
  }),
  'POST /api/usage': created(platform.usageRecordResponse, { body: platform.usageBody }),

  'GET /api/admin/users': ok(admin.adminUsersPage, { query: admin.adminUsersQuery }),
  'GET /api/admin/users/:id': ok(admin.userDetail, { params: common.idParam }),
  'GET /api/admin/users/:id/usage': ok(creditsExtra.usageResponse, { params: common.idParam, query: creditsExtra.usageQuery }),
  'PATCH /api/admin/users/:id': ok(admin.roleResponse, { params: common.idParam, body: admin.roleBody }),
  'POST /api/admin/users/:id/adjustments': adjustCredits,
  'GET /api/admin/organizations': ok(adminOrgs.adminOrganizationsPage, { query: adminOrgs.adminOrganizationsQuery }),
  'POST /api/admin/organizations/:id/adjustments': adjustCredits,
  'GET /api/admin/packages': ok(credits.packagesList),
  'POST /api/admin/packages': created(admin.packageResponse, { body: admin.packageCreate }),
  'PATCH /api/admin/packages/:id': ok(admin.packageResponse, { params: common.idParam, body: admin.packagePatch }),
  'GET /api/admin/pricing': ok(credits.pricingRulesList),
  'POST /api/admin/pricing': created(admin.ruleResponse, { body: admin.pricingCreate }),
  'PATCH /api/admin/pricing/:id': ok(admin.ruleResponse, { params: common.idParam, body: admin.pricingPatch }),
  'GET /api/admin/payments': ok(admin.adminPaymentsPage, { query: admin.adminPaymentsQuery }),
  'GET /api/admin/payments.csv': ok(admin.adminPaymentsCsv, { query: admin.adminPaymentsCsvQuery }),
  'POST /api/admin/payments/:id/refund': ok(admin.refundResponse, { params: common.idParam, body: admin.refundBody, idempotent: true }),
  'GET /api/admin/analytics': ok(admin.analyticsResponse, { query: admin.analyticsQuery }),
  'GET /api/admin/audit': ok(admin.auditPage, { query: common.paginationQuery }),
  'GET /api/admin/webhook-events': ok(admin.webhookEventsPage, { query: common.paginationQuery }),
  'POST /api/admin/webhook-endpoints': created(webhooks.webhookEndpointCreated, { body: webhooks.webhookEndpointCreate }),
  'GET /api/admin/webhook-endpoints': ok(webhooks.webhookEndpointsList),
  'GET /api/admin/webhook-endpoints/:id': ok(webhooks.webhookEndpointResponse, { params: common.idParam }),
  'PATCH /api/admin/webhook-endpoints/:id': ok(webhooks.webhookEndpointResponse, {
    params: common.idParam,
    body: webhooks.webhookEndpointPatch,
  }),
  'DELETE /api/admin/webhook-endpoints/:id': ok(webhooks.webhookEndpointDeleted, { params: common.idParam }),
  'GET /api/admin/webhook-endpoints/:id/deliveries': ok(webhooks.webhookDeliveriesPage, {
    params: common.idParam,
    query: webhooks.webhookDeliveriesQuery,
  }),
  'POST /api/admin/webhook-endpoints/:id/deliveries/:deliveryId/retry': accepted(webhooks.webhookDeliveryResponse, {
    params: webhooks.webhookDeliveryParams,
  }),
  'POST /api/admin/promo-codes': created(promo.promoCodeResponse, { body: promo.promoCodeCreate }),
  'GET /api/admin/promo-codes': ok(promo.promoCodesList, { query: common.paginationQuery }),
  'PATCH /api/admin/promo-codes/:id': ok(promo.promoCodeResponse, { params: common.idParam, body: promo.promoCodePatch }),
  'GET /api/accounts': ok(orgs.accountsList),
  'POST /api/orgs': created(orgs.orgCreateResponse, { body: orgs.orgCreateBody }),
  'GET /api/orgs/:id/members': ok(orgs.membersList, { params: orgs.orgParams }),
  'POST /api/orgs/:id/invitations': created(orgs.invitationCreateResponse, { params: orgs.orgParams, body: orgs.invitationCreateBody }),
  'GET /api/orgs/:id/invitations': ok(orgs.pendingInvitationsList, { params: orgs.orgParams }),
  'DELETE /api/orgs/:id/invitations/:invitationId': answering({ 204: orgs.invitationRevokedResponse }, { params: orgs.invitationParams }),
  'POST /api/invitations/:token/accept': ok(orgs.invitationAcceptResponse, { params: orgs.invitationTokenParams }),
  'PATCH /api/orgs/:id/members/:userId': ok(orgs.memberResponse, { params: orgs.memberParams, body: orgs.memberPatchBody }),
  'DELETE /api/orgs/:id/members/:userId': ok(orgs.memberRemovedResponse, { params: orgs.memberParams }),
  'GET /api/admin/liability': ok(promo.liabilityResponse, { query: promo.liabilityQuery }),
  'GET /api/admin/liability.csv': ok(promo.liabilityCsv, { query: promo.liabilityQuery }),
  'POST /api/admin/api-keys': created(service.apiKeyCreateResponse, { body: service.apiKeyCreateBody }),
  'GET /api/admin/api-keys': ok(service.apiKeysList),
  'DELETE /api/admin/api-keys/:id': ok(service.apiKeyRevokeResponse, { params: common.idParam }),

  'PUT /api/v1/customers/:externalId': answering(
    { 200: service.customerResponse, 201: service.customerResponse },
    { params: service.customerParams, body: service.customerBody },
  ),
  'GET /api/v1/customers/:externalId/balance': ok(credits.balanceSchema, { params: service.customerParams }),
  'POST /api/v1/usage': created(service.serviceUsageResponse, { body: service.serviceUsageBody, idempotent: 'required' }),
  'POST /api/v1/usage/batch': ok(service.usageBatchResponse, { body: service.usageBatchBody }),
  'POST /api/v1/holds': created(service.holdResponse, { body: service.holdBody, idempotent: true }),
  'POST /api/v1/holds/:id/capture': ok(service.captureResponse, {
    params: service.holdParams,
    body: service.captureBody,
    idempotent: true,
  }),
  'POST /api/v1/holds/:id/release': ok(service.releaseResponse, { params: service.holdParams }),
  'POST /api/v1/holds/:id/extend': ok(service.extendResponse, { params: service.holdParams, body: service.extendBody }),
} as const satisfies Record<string, Endpoint>;

export type Endpoints = typeof endpoints;

/** "METHOD /path", the path with `:name` parameters as the routes declare it. */
export type EndpointKey = keyof Endpoints;

type Schema<K extends EndpointKey, Part extends 'params' | 'query' | 'body'> = Endpoints[K] extends {
  [P in Part]: infer S extends z.ZodType;
}
  ? S
  : never;

/** What a client sends for a part of the request (before the schema's transforms). */
export type ParamsOf<K extends EndpointKey> = z.input<Schema<K, 'params'>>;
export type QueryOf<K extends EndpointKey> = z.input<Schema<K, 'query'>>;
export type BodyOf<K extends EndpointKey> = Endpoints[K] extends { multipart: true } ? FormData : z.input<Schema<K, 'body'>>;

/** The answer of a success, whichever of its statuses (a union where there are several). */
export type ResponseOf<K extends EndpointKey> = {
  [S in keyof Endpoints[K]['responses']]: Endpoints[K]['responses'][S] extends z.ZodType ? z.output<Endpoints[K]['responses'][S]> : never;
}[keyof Endpoints[K]['responses']];

/** The data of a Server-Sent Event of an endpoint that streams. */
export type EventOf<K extends EndpointKey, E extends string> = Endpoints[K] extends { events: { [P in E]: infer S extends z.ZodType } }
  ? z.output<S>
  : never;

/** Whether the endpoint takes an Idempotency-Key. */
export type IsIdempotent<K extends EndpointKey> = Endpoints[K] extends { idempotent: true | 'required' } ? true : false;

type Has<K extends EndpointKey, Part extends 'params' | 'query' | 'body'> = Endpoints[K] extends { [P in Part]: z.ZodType }
  ? true
  : Part extends 'body'
    ? Endpoints[K] extends { multipart: true }
      ? true
      : false
    : false;

/**
 * The request parts of a call: `params` when the path has some, `query` when the route
 * reads one, `body` when it takes one (optional when the schema allows none).
 */
export type RequestOf<K extends EndpointKey> = (Has<K, 'params'> extends true ? { params: ParamsOf<K> } : { params?: never }) &
  (Has<K, 'query'> extends true
    ? Partial<QueryOf<K>> extends QueryOf<K>
      ? { query?: QueryOf<K> }
      : { query: QueryOf<K> }
    : { query?: never }) &
  (Has<K, 'body'> extends true ? (undefined extends BodyOf<K> ? { body?: BodyOf<K> } : { body: BodyOf<K> }) : { body?: never });

/** The arguments after the key: none needed when every part is optional. */
export type CallArgs<K extends EndpointKey, Extra = unknown> =
  Partial<RequestOf<K> & Extra> extends RequestOf<K> & Extra ? [request?: RequestOf<K> & Extra] : [request: RequestOf<K> & Extra];
