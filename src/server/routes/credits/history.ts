import { stringify } from 'csv-stringify/sync';
import { listHeldCredits } from '../../../core/holds/list-held-credits.js';
import { allTransactions, listTransactions } from '../../../core/ledger/list-transactions.js';
import { getUsage, usageGroups, usageRange } from '../../../core/usage/get-usage.js';
import { usageByMember } from '../../../core/usage/usage-by-member.js';
import type { App, AppContext } from '../../context.js';
import { account } from '../../plugins/account.js';
import {
  TRANSACTIONS_CSV_HEADER,
  USAGE_CSV_HEADER,
  toHeldCredits,
  toTransaction,
  toTransactionCsv,
  toUsage,
  toUsageCsv,
} from '../../presenters.js';
import { sendCsv } from '../../csv-reply.js';
import { signedInRoutes } from '../../route-docs.js';
import { identifier, sequence } from '../../cursor.js';

export async function historyRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const route = signedInRoutes(app, ctx, 'credits');

  route('GET /api/credits/transactions', async (req) => {
    return ctx.cursors.list(req, 's', sequence, (page) => listTransactions(db, account(req).id, req.query, page), toTransaction);
  });

  route('GET /api/credits/holds', async (req) => {
    return ctx.cursors.list(req, 'h', identifier, (page) => listHeldCredits(db, account(req).id, page), toHeldCredits);
  });

  route('GET /api/credits/transactions.csv', async (req, reply) => {
    const p = account(req);
    const chunks: string[] = [stringify([TRANSACTIONS_CSV_HEADER])];
    for await (const rows of allTransactions(db, p.id, req.query)) chunks.push(stringify(rows.map(toTransactionCsv)));
    return sendCsv(reply, 'transactions.csv', chunks.join(''));
  });

  route('GET /api/credits/usage', async (req) => {
    const range = usageRange(Date.now(), req.query);
    const accountId = account(req).id;
    const byMember = req.query.groupBy === 'member' ? await usageByMember(db, accountId, range) : undefined;
    return toUsage(range, await getUsage(db, accountId, range), byMember);
  });

  route('GET /api/credits/usage.csv', async (req, reply) => {
    const range = usageRange(Date.now(), req.query);
    const rows = await usageGroups(db, account(req).id, range);
    return sendCsv(reply, 'usage.csv', stringify([USAGE_CSV_HEADER, ...rows.map(toUsageCsv)]));
  });
}
