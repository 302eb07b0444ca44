/** Examples of the service API's operations (merged into EXAMPLES of server/openapi-examples.ts). */
import { type Example, T, USER_ID, balance } from './samples.js';

const KEY_ID = '01a2245e-7a00-7000-8000-0000000000a1';
const HOLD_ID = '01a2245e-7b00-7000-8000-0000000000b1';
const apiKey = { id: KEY_ID, name: 'Recruitment backend', prefix: 'ck_live_Q3x9Tb', createdAt: T };

export const SERVICE_EXAMPLES: Record<string, Example> = {
  'POST /api/admin/api-keys': {
    request: { name: 'Recruitment backend' },
    response: { status: 201, body: { apiKey, key: 'ck_live_Q3x9Tb4uYkz0VvF1p8cR2mWn7sLdHjA6eGqXo5iBtCy' } },
  },
  'GET /api/admin/api-keys': {
    response: { status: 200, body: { items: [{ ...apiKey, lastUsedAt: '2026-11-29T08:12:00.000Z', revokedAt: null }] } },
  },
  'DELETE /api/admin/api-keys/{id}': {
    response: {
      status: 200,
      body: { apiKey: { ...apiKey, lastUsedAt: '2026-11-29T08:12:00.000Z', revokedAt: '2026-11-30T10:00:00.000Z' } },
    },
  },
  'PUT /api/v1/customers/{externalId}': {
    request: { email: 'ada@example.com', name: 'Ada Lovelace' },
    response: {
      status: 200,
      body: { customer: { accountId: USER_ID, externalId: 'auth0|6560a1', kind: 'personal', name: 'Ada Lovelace' } },
    },
  },
  'GET /api/v1/customers/{externalId}/balance': { response: { status: 200, body: balance } },
  'POST /api/v1/usage': {
    request: {
      customer: 'auth0|6560a1',
      operation: 'candidate_screening',
      unit: 'per_candidate',
      quantity: 1,
      metadata: { candidateId: 'cand_812', jobId: 'job_77' },
    },
    response: {
      status: 201,
      body: { usage: { id: '01a2245e-7c00-7000-8000-0000000000c1' }, credits: { charged: 0.5, balance: 548.4, available: 545.9 } },
    },
  },
  'POST /api/v1/usage/batch': {
    request: {
      events: [
        { id: 'evt-1001', customer: 'auth0|6560a1', operation: 'message', unit: 'per_message', quantity: 1 },
        { id: 'evt-1002', customer: 'auth0|6560a1', operation: 'message', unit: 'per_message', quantity: 3, metadata: { thread: 't-9' } },
        { id: 'evt-1003', customer: 'acme-recruiting', member: 'auth0|6560a1', operation: 'message', unit: 'per_message', quantity: 1 },
      ],
    },
    response: {
      status: 200,
      body: {
        results: [
          { id: 'evt-1001', status: 'charged', charged: 0.1, usageId: '01a2245e-7c00-7000-8000-0000000000c2' },
          { id: 'evt-1002', status: 'duplicate' },
          { id: 'evt-1003', status: 'charged', charged: 0.1, usageId: '01a2245e-7c00-7000-8000-0000000000c3' },
        ],
      },
    },
  },
  'POST /api/v1/holds': {
    request: { customer: 'auth0|6560a1', operation: 'ai_interview', unit: 'per_minute', quantity: 1800, ttlSeconds: 3600 },
    response: {
      status: 201,
      body: {
        hold: { id: HOLD_ID, status: 'held', credits: 15, expiresAt: '2026-11-28T23:54:55.729Z' },
        credits: { reserved: 17.5, available: 531.4 },
      },
    },
  },
  'POST /api/v1/holds/{id}/capture': {
    request: { quantity: 1260, metadata: { interviewId: 'int_41' } },
    response: {
      status: 200,
      body: {
        hold: { id: HOLD_ID, status: 'captured', credits: 10.5, heldCredits: 15 },
        credits: { charged: 10.5, balance: 538.4, available: 535.9 },
      },
    },
  },
  'POST /api/v1/holds/{id}/release': { response: { status: 200, body: { hold: { id: HOLD_ID, status: 'released' } } } },
  'POST /api/v1/holds/{id}/extend': {
    request: { ttlSeconds: 1800 },
    response: { status: 200, body: { hold: { id: HOLD_ID, status: 'held', expiresAt: '2026-11-29T00:24:55.729Z' } } },
  },
};
