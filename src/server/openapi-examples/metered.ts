/** Examples of the metered operations: messages, calls, files, workflows, usage. */
import { type Example, T, USER_ID, charge, usageRow } from './samples.js';

export const METERED_EXAMPLES: Record<string, Example> = {
  'POST /api/messages': {
    request: { to: '+15551234567', body: 'Hello! Are you available for a short interview this week?' },
    response: { status: 201, body: { message: { id: usageRow.id, to: '+15551234567', status: 'sent', createdAt: T }, credits: charge } },
  },
  'POST /api/vapi/calls': {
    request: { phoneNumber: '+15551234567', maxDurationSeconds: 300 },
    response: {
      status: 201,
      body: {
        call: { id: 'sim_36724ab3-0573-4daa-8dd5-2aae72434d08', status: 'in-progress', maxDurationSeconds: 300 },
        credits: { charged: 1, reserved: 2.5, balance: 548.9, available: 546.4 },
      },
    },
  },
  'POST /api/vapi/calls/{id}/end': {
    request: { durationSeconds: 90.5 },
    response: {
      status: 200,
      body: {
        call: { id: 'sim_36724ab3-0573-4daa-8dd5-2aae72434d08', status: 'ended', durationSeconds: 90.5 },
        credits: { charged: 0.755, balance: 548.145, available: 548.145, reserved: 0 },
        settled: true,
      },
    },
  },
  'GET /api/vapi/calls': {
    response: {
      status: 200,
      body: {
        items: [
          {
            id: 'sim_36724ab3-0573-4daa-8dd5-2aae72434d08',
            status: 'in-progress',
            phoneNumber: '+15551234567',
            maxDurationSeconds: 300,
            startedAt: T,
            endedAt: null,
            durationSeconds: null,
            charged: 1,
            reserved: 2.5,
          },
        ],
        nextCursor: null,
      },
    },
  },
  'POST /api/vapi/webhook': {
    request: {
      message: {
        type: 'end-of-call-report',
        call: { id: 'sim_36724ab3-0573-4daa-8dd5-2aae72434d08' },
        startedAt: '2026-11-28T10:00:00.000Z',
        endedAt: '2026-11-28T10:01:01.000Z',
      },
    },
    response: { status: 200, body: { received: true, settled: true } },
  },
  'POST /api/files': {
    requestType: 'multipart/form-data',
    request: { file: '(the file’s bytes; resume.pdf, 1572864 bytes)' },
    response: {
      status: 201,
      body: {
        file: { id: '01a2245e-8000-7000-8000-000000000002', name: 'resume.pdf', size: 1_572_864, contentType: 'application/pdf' },
        credits: { charged: 0.375, balance: 549.525, available: 549.525 },
      },
    },
  },
  'POST /api/workflows/{id}/execute': {
    request: { input: { candidateId: 'c-42' } },
    response: {
      status: 201,
      body: {
        execution: { id: '01a2245e-9000-7000-8000-000000000003', workflowId: 'candidate-screening', status: 'completed' },
        credits: { charged: 0.75, balance: 548.775, available: 548.775 },
      },
    },
  },
  'POST /api/usage': {
    request: { userId: USER_ID, operation: 'ai_interview', unit: 'per_minute', quantity: 120, idempotencyKey: 'interview-7f3a-report' },
    response: {
      status: 201,
      body: {
        usage: {
          id: '01a2245e-a000-7000-8000-000000000004',
          userId: USER_ID,
          operation: 'ai_interview',
          unit: 'per_minute',
          quantity: 120,
          cost: 2,
        },
        credits: { charged: 2, balance: 546.9, available: 544.4 },
      },
    },
  },
};
