/** Examples of the accounts and organisations routes. */
import { type Example, USER_ID } from './samples.js';

const ORG_ID = 'org_01a2245e-c000-7000-8000-000000000050';
const MEMBER_ID = '01a2245e-c000-7000-8000-000000000051';
const personal = { id: USER_ID, kind: 'personal', name: 'Ada Lovelace', role: 'owner', externalId: null };
const org = { id: ORG_ID, kind: 'organization', name: 'Northwind Recruiting', role: 'owner', externalId: 'team-42' };
const member = {
  userId: MEMBER_ID,
  email: 'grace@example.com',
  name: 'Grace Hopper',
  role: 'member',
  monthlyLimit: 200,
  usedThisMonth: 37.5,
};

export const ORGS_EXAMPLES: Record<string, Example> = {
  'GET /api/accounts': { response: { status: 200, body: { items: [personal, org] } } },
  'POST /api/orgs': {
    request: { name: 'Northwind Recruiting', externalId: 'team-42' },
    response: { status: 201, body: { organization: { id: ORG_ID, name: 'Northwind Recruiting', externalId: 'team-42' } } },
  },
  'GET /api/orgs/{id}/members': {
    response: {
      status: 200,
      body: {
        items: [
          { userId: USER_ID, email: 'ada@example.com', name: 'Ada Lovelace', role: 'owner', monthlyLimit: null, usedThisMonth: 12 },
          member,
        ],
      },
    },
  },
  'POST /api/orgs/{id}/invitations': {
    request: { email: 'grace@example.com', role: 'member' },
    response: {
      status: 201,
      body: {
        invitation: {
          id: '01a2245e-c000-7000-8000-000000000052',
          email: 'grace@example.com',
          role: 'member',
          token: 'inv_Qm9va3MgYXJlIGEgdW5pcXVlbHkgcG9ydGFibGUgbWFnaWM',
          expiresAt: '2026-12-05T22:54:55.729Z',
        },
      },
    },
  },
  'GET /api/orgs/{id}/invitations': {
    response: {
      status: 200,
      body: {
        items: [
          {
            id: '01a2245e-c000-7000-8000-000000000052',
            email: 'grace@example.com',
            role: 'member',
            expiresAt: '2026-12-05T22:54:55.729Z',
            createdAt: '2026-11-28T22:54:55.729Z',
          },
        ],
      },
    },
  },
  'DELETE /api/orgs/{id}/invitations/{invitationId}': { response: { status: 204, body: null } },
  'POST /api/invitations/{token}/accept': { response: { status: 200, body: { account: { ...org, role: 'member' } } } },
  'PATCH /api/orgs/{id}/members/{userId}': {
    request: { monthlyLimit: 200 },
    response: { status: 200, body: { member } },
  },
  'DELETE /api/orgs/{id}/members/{userId}': { response: { status: 200, body: { removed: true, userId: MEMBER_ID } } },
};
