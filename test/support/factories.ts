import { createUser } from '../../src/core/accounts/create-user.js';
import type { Core } from '../../src/core/index.js';
import type { UsageInput } from '../../src/core/ledger/types.js';
import type { AlertType, Role } from '../../src/db/schema.js';

/** A password the policy accepts, for test users. */
export const TEST_PASSWORD = 'kiwi-lantern-Orbit-73';

let n = 0;

/** A user with `credits` granted as a purchase (0 by default). */
export async function makeUser(core: Core, opts: { credits?: number; role?: Role; email?: string } = {}) {
  n++;
  const user = await createUser(core.writer, {
    email: opts.email ?? `user${n}-${Math.random().toString(36).slice(2, 8)}@example.com`,
    name: `User ${n}`,
    password: TEST_PASSWORD,
    role: opts.role ?? 'user',
  });
  if (opts.credits) await core.ledger.grant(user.id, Math.round(opts.credits * 1000), 'purchase');
  return user;
}

/** The usage record of a test's raw `usage` debit or capture (the ledger refuses one without). */
export function testUsage(costMc: number, operation = 'test_op'): UsageInput {
  return { operation, unit: 'per_call', quantityMilli: 1000, ruleId: null, ruleCreditsMc: costMc, costMc };
}

/** The messages of an account's in-app alerts of one type, oldest first. */
export async function alertMessages(core: Core, userId: string, type: AlertType): Promise<string[]> {
  const rows = await core.database.db
    .selectFrom('credit_alerts')
    .select('message')
    .where('user_id', '=', userId)
    .where('type', '=', type)
    .orderBy('id')
    .execute();
  return rows.map((a) => a.message);
}
