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
import * as holds from './holds.js';
import * as creditsExtra from './credits-extra.js';
import * as operations from './operations.js';
import * as orgs from './orgs.js';
import * as platform from './platform.js';
import * as promo from './promo.js';
import * as service from './service.js';
import * as setup from './setup.js';
import * as webhooks from './webhooks.js';

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

/** An admin's adjustment of an account's credits: a user's and an organisation's take the same request and answer. */
const adjustCredits = {
  params: common.idParam,
  body: admin.adjustmentBody,
  responses: { 201: admin.adjustmentResponse },
  idempotent: true,
} as const satisfies Endpoint;

export const endpoints = {
  'GET /health/live': { responses: { 200: operations.liveResponse } },
  'GET /health/ready': { responses: { 200: operations.readyResponse } },
  'GET /metrics': { responses: {} },
  'GET /api/config': { responses: { 200: operations.configResponse } },

  'GET /api/setup': { responses: { 200: setup.setupStatus } },
  'POST /api/setup': { body: setup.setupBody, responses: { 201: setup.setupResponse } },
  'POST /api/auth/register': { body: auth.registerBody, responses: { 201: auth.authResponse, 202: auth.verificationSentResponse } },
  'POST /api/auth/login': { body: auth.loginBody, responses: { 200: auth.authResponse } },
  'GET /api/auth/me': { responses: { 200: auth.meResponse } },
  'POST /api/auth/verify-email': { body: auth.verifyEmailBody, responses: { 200: auth.authResponse } },
  'POST /api/auth/verify-email/resend': { body: auth.emailOnlyBody, responses: { 202: auth.mailRequestedResponse } },
  'POST /api/auth/forgot-password': { body: auth.emailOnlyBody, responses: { 202: auth.mailRequestedResponse } },
  'POST /api/auth/reset-password': { body: auth.resetPasswordBody, responses: { 200: auth.authResponse } },
  'POST /api/auth/password': { body: auth.changePasswordBody, responses: { 200: auth.authResponse } },
  'POST /api/auth/logout': { responses: { 200: auth.signedOutResponse } },

  'GET /api/credits/balance': { responses: { 200: credits.balanceSchema } },
  'GET /api/credits/packages': { responses: { 200: credits.packagesList } },
  'GET /api/credits/pricing': { responses: { 200: credits.pricingRulesList } },
  'POST /api/credits/estimate': { body: credits.estimateBody, responses: { 200: credits.estimateResponse } },
  'GET /api/credits/transactions': { query: creditsExtra.transactionsQuery, responses: { 200: creditsExtra.transactionsPage } },
  'GET /api/credits/transactions.csv': { query: creditsExtra.transactionsCsvQuery, responses: { 200: creditsExtra.transactionsCsv } },
  'GET /api/credits/usage': { query: creditsExtra.usageQuery, responses: { 200: creditsExtra.usageResponse } },
  'GET /api/credits/usage.csv': { query: creditsExtra.usageQuery, responses: { 200: creditsExtra.usageCsv } },
  'GET /api/credits/grants': { query: creditsExtra.grantsQuery, responses: { 200: creditsExtra.grantsPage } },
  'POST /api/credits/redeem': { body: promo.redeemBody, responses: { 201: promo.redeemResponse } },
  'GET /api/credits/alerts': { query: common.paginationQuery, responses: { 200: creditsExtra.alertsPage } },
  'POST /api/credits/alerts/:id/read': { params: common.idParam, responses: { 200: creditsExtra.alertReadResponse } },
  'GET /api/credits/settings': { responses: { 200: creditsExtra.settingsSchema } },
  'PUT /api/credits/settings': { body: creditsExtra.settingsUpdate, responses: { 200: creditsExtra.settingsSchema } },
  'GET /api/credits/holds': { query: holds.holdsQuery, responses: { 200: holds.holdsPage } },
  'GET /api/credits/payments': { query: common.paginationQuery, responses: { 200: creditsExtra.paymentsPage } },
  'POST /api/credits/purchase': { body: creditsExtra.purchaseBody, responses: { 201: creditsExtra.purchaseResponse }, idempotent: true },
  'GET /api/credits/stream': { responses: {}, events: { balance: credits.balanceSchema } },
  'POST /api/credits/stripe/webhook': { responses: { 200: creditsExtra.stripeWebhookResponse } },

  'POST /api/messages': { body: platform.messageBody, responses: { 201: platform.messageResponse }, idempotent: true },
  'POST /api/vapi/calls': { body: calls.startCallBody, responses: { 201: calls.startCallResponse }, idempotent: true },
  'GET /api/vapi/calls': { query: calls.listCallsQuery, responses: { 200: calls.callsPage } },
  'POST /api/vapi/calls/:id/end': {
    params: calls.callIdParams,
    body: calls.endCallBody,
    responses: { 200: calls.endCallSettledResponse, 202: calls.endCallEndingResponse },
  },
  'POST /api/vapi/webhook': { body: calls.vapiWebhookBody, responses: { 200: calls.vapiWebhookResponse } },
  'POST /api/files': { responses: { 201: platform.uploadResponse }, idempotent: true, multipart: true },
  'POST /api/workflows/:id/execute': {
    params: platform.workflowParams,
    body: platform.workflowBody,
    responses: { 201: platform.workflowResponse },
    idempotent: true,
  },
  'POST /api/usage': { body: platform.usageBody, responses: { 201: platform.usageRecordResponse } },

  'GET /api/admin/users': { query: admin.adminUsersQuery, responses: { 200: admin.adminUsersPage } },
  'GET /api/admin/users/:id': { params: common.idParam, responses: { 200: admin.userDetail } },
  'GET /api/admin/users/:id/usage': {
    params: common.idParam,
    query: creditsExtra.usageQuery,
    responses: { 200: creditsExtra.usageResponse },
  },
  'PATCH /api/admin/users/:id': { params: common.idParam, body: admin.roleBody, responses: { 200: admin.roleResponse } },
  'POST /api/admin/users/:id/adjustments': adjustCredits,
  'GET /api/admin/organizations': { query: adminOrgs.adminOrganizationsQuery, responses: { 200: adminOrgs.adminOrganizationsPage } },
  'POST /api/admin/organizations/:id/adjustments': adjustCredits,
  'GET /api/admin/packages': { responses: { 200: credits.packagesList } },
  'POST /api/admin/packages': { body: admin.packageCreate, responses: { 201: admin.packageResponse } },
  'PATCH /api/admin/packages/:id': { params: common.idParam, body: admin.packagePatch, responses: { 200: admin.packageResponse } },
  'GET /api/admin/pricing': { responses: { 200: credits.pricingRulesList } },
  'POST /api/admin/pricing': { body: admin.pricingCreate, responses: { 201: admin.ruleResponse } },
  'PATCH /api/admin/pricing/:id': { params: common.idParam, body: admin.pricingPatch, responses: { 200: admin.ruleResponse } },
  'GET /api/admin/payments': { query: admin.adminPaymentsQuery, responses: { 200: admin.adminPaymentsPage } },
  'GET /api/admin/payments.csv': { query: admin.adminPaymentsCsvQuery, responses: { 200: admin.adminPaymentsCsv } },
  'POST /api/admin/payments/:id/refund': {
    params: common.idParam,
    body: admin.refundBody,
    responses: { 200: admin.refundResponse },
    idempotent: true,
  },
  'GET /api/admin/analytics': { query: admin.analyticsQuery, responses: { 200: admin.analyticsResponse } },
  'GET /api/admin/audit': { query: common.paginationQuery, responses: { 200: admin.auditPage } },
  'GET /api/admin/webhook-events': { query: common.paginationQuery, responses: { 200: admin.webhookEventsPage } },
  'POST /api/admin/webhook-endpoints': { body: webhooks.webhookEndpointCreate, responses: { 201: webhooks.webhookEndpointCreated } },
  'GET /api/admin/webhook-endpoints': { responses: { 200: webhooks.webhookEndpointsList } },
  'PATCH /api/admin/webhook-endpoints/:id': {
    params: common.idParam,
    body: webhooks.webhookEndpointPatch,
    responses: { 200: webhooks.webhookEndpointResponse },
  },
  'DELETE /api/admin/webhook-endpoints/:id': { params: common.idParam, responses: { 200: webhooks.webhookEndpointDeleted } },
  'GET /api/admin/webhook-endpoints/:id/deliveries': {
    params: common.idParam,
    query: webhooks.webhookDeliveriesQuery,
    responses: { 200: webhooks.webhookDeliveriesPage },
  },
  'POST /api/admin/webhook-endpoints/:id/deliveries/:deliveryId/retry': {
    params: webhooks.webhookDeliveryParams,
    responses: { 202: webhooks.webhookDeliveryResponse },
  },
  'POST /api/admin/promo-codes': { body: promo.promoCodeCreate, responses: { 201: promo.promoCodeResponse } },
  'GET /api/admin/promo-codes': { query: common.paginationQuery, responses: { 200: promo.promoCodesList } },
  'PATCH /api/admin/promo-codes/:id': { params: common.idParam, body: promo.promoCodePatch, responses: { 200: promo.promoCodeResponse } },
  'GET /api/accounts': { responses: { 200: orgs.accountsList } },
  'POST /api/orgs': { body: orgs.orgCreateBody, responses: { 201: orgs.orgCreateResponse } },
  'GET /api/orgs/:id/members': { params: orgs.orgParams, responses: { 200: orgs.membersList } },
  'POST /api/orgs/:id/invitations': {
    params: orgs.orgParams,
    body: orgs.invitationCreateBody,
    responses: { 201: orgs.invitationCreateResponse },
  },
  'GET /api/orgs/:id/invitations': { params: orgs.orgParams, responses: { 200: orgs.pendingInvitationsList } },
  'DELETE /api/orgs/:id/invitations/:invitationId': {
    params: orgs.invitationParams,
    responses: { 204: orgs.invitationRevokedResponse },
  },
  'POST /api/invitations/:token/accept': { params: orgs.invitationTokenParams, responses: { 200: orgs.invitationAcceptResponse } },
  'PATCH /api/orgs/:id/members/:userId': { params: orgs.memberParams, body: orgs.memberPatchBody, responses: { 200: orgs.memberResponse } },
  'DELETE /api/orgs/:id/members/:userId': { params: orgs.memberParams, responses: { 200: orgs.memberRemovedResponse } },
  'GET /api/admin/liability': { query: promo.liabilityQuery, responses: { 200: promo.liabilityResponse } },
  'GET /api/admin/liability.csv': { query: promo.liabilityQuery, responses: { 200: promo.liabilityCsv } },
  'POST /api/admin/api-keys': { body: service.apiKeyCreateBody, responses: { 201: service.apiKeyCreateResponse } },
  'GET /api/admin/api-keys': { responses: { 200: service.apiKeysList } },
  'DELETE /api/admin/api-keys/:id': { params: common.idParam, responses: { 200: service.apiKeyRevokeResponse } },

  'PUT /api/v1/customers/:externalId': {
    params: service.customerParams,
    body: service.customerBody,
    responses: { 200: service.customerResponse, 201: service.customerResponse },
  },
  'GET /api/v1/customers/:externalId/balance': { params: service.customerParams, responses: { 200: credits.balanceSchema } },
  'POST /api/v1/usage': { body: service.serviceUsageBody, responses: { 201: service.serviceUsageResponse }, idempotent: true },
  'POST /api/v1/usage/batch': { body: service.usageBatchBody, responses: { 200: service.usageBatchResponse } },
  'POST /api/v1/holds': { body: service.holdBody, responses: { 201: service.holdResponse }, idempotent: true },
  'POST /api/v1/holds/:id/capture': {
    params: service.holdParams,
    body: service.captureBody,
    responses: { 200: service.captureResponse },
    idempotent: true,
  },
  'POST /api/v1/holds/:id/release': { params: service.holdParams, responses: { 200: service.releaseResponse } },
  'POST /api/v1/holds/:id/extend': { params: service.holdParams, body: service.extendBody, responses: { 200: service.extendResponse } },
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
export type IsIdempotent<K extends EndpointKey> = Endpoints[K] extends { idempotent: true } ? true : false;

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
