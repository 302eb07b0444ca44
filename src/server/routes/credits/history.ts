import { stringify } from 'csv-stringify/sync';
import {
  transactionsCsv,
  transactionsCsvQuery,
  transactionsPage,
  transactionsQuery,
  usageCsv,
  usageQuery,
  usageResponse,
} from '../../../contracts/credits-extra.js';
import { holdsPage, holdsQuery } from '../../../contracts/holds.js';
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
import { answers, csvAnswer, signedInRoutes } from '../../route-docs.js';

export async function historyRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const auth = { onRequest: ctx.authenticate };
  const route = signedInRoutes(auth, 'credits');

  app.get(
    '/api/credits/transactions',
    route(
      'Ledger rows of the signed-in user',
      'Newest first, paginated (`limit`, `cursor`), filtered by `type` and by `from` (inclusive) and `to` (exclusive; a date-only `to` includes that day). `amount` is the signed change of the balance, `reservedChange` that of the reserved credits, `balanceAfter` the balance after the row.',
      {
        querystring: transactionsQuery,
        response: answers({ 200: transactionsPage }, 400, 401),
      },
    ),
    async (req) => {
      const page = await listTransactions(db, account(req).id, req.query, ctx.cursors.request(req.query, 's', Number));
      return ctx.cursors.answer(page, 's', toTransaction);
    },
  );

  app.get(
    '/api/credits/holds',
    route(
      'What the reserved credits are held for',
      "The signed-in user's holds that are still held, newest first, paginated: the minutes of a call in progress (`call`, with its `callId`), a hold placed by the platform through the service API (`service`), the credits of a disputed payment (`dispute`). Their credits add up to the balance's `reserved`. All three are one machinery: a hold is captured (charged, at most what it holds), released, or released by the sweeper at `expiresAt`.",
      {
        querystring: holdsQuery,
        response: answers({ 200: holdsPage }, 400, 401),
      },
    ),
    async (req) => {
      const page = await listHeldCredits(db, account(req).id, ctx.cursors.request(req.query, 'h', String));
      return ctx.cursors.answer(page, 'h', toHeldCredits);
    },
  );

  app.get(
    '/api/credits/transactions.csv',
    route(
      'Ledger rows as CSV',
      "Every row under the same filters as the JSON list (not one page), with a header line: `id,createdAt,type,amount,reservedChange,balanceAfter,description,metadata,memberId` (`memberId`: on an organisation’s account the member who caused the row, as in the JSON list; empty otherwise). A text cell that a spreadsheet would run as a formula gets a leading `'`; numbers stay plain.",
      {
        querystring: transactionsCsvQuery,
        response: answers({ 200: csvAnswer('The rows as CSV.', transactionsCsv) }, 400, 401),
      },
    ),
    async (req, reply) => {
      const p = account(req);
      const chunks: string[] = [stringify([TRANSACTIONS_CSV_HEADER])];
      for await (const rows of allTransactions(db, p.id, req.query)) chunks.push(stringify(rows.map(toTransactionCsv)));
      return sendCsv(reply, 'transactions.csv', chunks.join(''));
    },
  );

  app.get(
    '/api/credits/usage',
    route(
      'Usage over time and by operation',
      'Credits spent and operations counted per UTC day or hour (`granularity`) over `from`..`to` (default: the last 30 days), and per operation and unit with the summed `quantity` in the unit’s base quantity (seconds, bytes, tokens or a count). On an organisation’s account, `groupBy=member` adds `byMember`: `{memberId, name, credits, operations}` per member who caused usage in the range, most credits first (a personal account: 400).',
      {
        querystring: usageQuery,
        response: answers({ 200: usageResponse }, 400, 401),
      },
    ),
    async (req) => {
      const range = usageRange(Date.now(), req.query);
      const accountId = account(req).id;
      const byMember = req.query.groupBy === 'member' ? await usageByMember(db, accountId, range) : undefined;
      return toUsage(range, await getUsage(db, accountId, range), byMember);
    },
  );

  app.get(
    '/api/credits/usage.csv',
    route(
      'Usage report as CSV',
      "The usage report of `GET /api/credits/usage` under the same query (`from`, `to`, `granularity`; default the last 30 days by day) as CSV with a header line: `bucket,operation,unit,operations,quantity,credits`, one line per UTC bucket and operation and unit that had usage, in bucket order. `quantity` is in the unit’s base quantity (seconds, bytes, tokens or a count). A text cell that a spreadsheet would run as a formula gets a leading `'`.",
      {
        querystring: usageQuery,
        response: answers({ 200: csvAnswer('The usage as CSV.', usageCsv) }, 400, 401),
      },
    ),
    async (req, reply) => {
      const range = usageRange(Date.now(), req.query);
      const rows = await usageGroups(db, account(req).id, range);
      return sendCsv(reply, 'usage.csv', stringify([USAGE_CSV_HEADER, ...rows.map(toUsageCsv)]));
    },
  );
}
