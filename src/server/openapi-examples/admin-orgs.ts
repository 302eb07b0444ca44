/** Examples of the administration of organisations. */
import { type Example, T, USER_ID, adjustment } from './samples.js';

const ORG_ID = 'org_01a2245e-c000-7000-8000-000000000001';

export const ADMIN_ORG_EXAMPLES: Record<string, Example> = {
  'GET /api/admin/organizations': {
    response: {
      status: 200,
      body: {
        items: [
          {
            id: ORG_ID,
            name: 'Acme Recruiting',
            externalId: 'team_4821',
            balance: 1090.4,
            reserved: 0,
            available: 1090.4,
            lifetimePurchased: 1150,
            lifetimeUsed: 59.6,
            createdAt: T,
            members: [
              { userId: USER_ID, email: 'ada@example.com', name: 'Ada Lovelace', role: 'owner', monthlyLimit: null },
              {
                userId: '01a2245e-7a10-7000-8000-000000000002',
                email: 'milo@example.com',
                name: 'Milo Park',
                role: 'member',
                monthlyLimit: 200,
              },
            ],
          },
        ],
        nextCursor: null,
      },
    },
  },
  'POST /api/admin/organizations/{id}/adjustments': adjustment({
    transactionId: '01a2245e-b000-7000-8000-000000000009',
    amount: 100,
    reason: 'Credits for the pilot month',
    after: { balance: 1190.4, reserved: 0, available: 1190.4 },
  }),
};
