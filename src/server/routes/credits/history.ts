import { stringify } from 'csv-stringify/sync';
import { errorSchema } from '../../../contracts/common.js';
import {
  transactionsCsv,
  transactionsCsvQuery,
  transactionsPage,
  transactionsQuery,
  usageQuery,
  usageResponse,
} from '../../../contracts/credits-extra.js';
import { allTransactions, listTransactions } from '../../../core/ledger/list-transactions.js';
import { mcToCredits } from '../../../contracts/money.js';
import { getUsage, usageRange } from '../../../core/usage/get-usage.js';
import type { TransactionRow } from '../../../db/schema.js';
import type { App, AppContext } from '../../app.js';
import { principal } from '../../plugins/auth.js';

export function toTransaction(t: TransactionRow) {
  return {
    id: t.id,
    type: t.type,
    amount: mcToCredits(t.amount_mc),
    reservedChange: mcToCredits(t.reserved_change_mc),
    balanceAfter: mcToCredits(t.balance_after_mc),
    description: t.description,
    metadata: t.metadata ? (JSON.parse(t.metadata) as Record<string, unknown>) : null,
    createdAt: new Date(t.created_at).toISOString(),
  };
}

const FORMULA = /^[=+\-@\t\r]/;

/**
 * A text cell that a spreadsheet will not run: text starting with = + - @, a tab or a
 * carriage return gets a leading '. Only text columns go through this (even text that
 * looks like a number, such as a description "-1"); numeric columns (amounts) are written
 * as plain numbers, so -0.1 stays a number.
 */
export function safeCell(v: string): string {
  return FORMULA.test(v) ? `'${v}` : v;
}

export async function historyRoutes(app: App, ctx: AppContext) {
  const db = ctx.core.database.db;
  const auth = { onRequest: ctx.authenticate };

  app.get(
    '/api/credits/transactions',
    {
      ...auth,
      schema: {
        tags: ['credits'], summary: 'Ledger rows of the signed-in user', description: 'Newest first, paginated (`limit`, `cursor`), filtered by `type` and by `from` (inclusive) and `to` (exclusive; a date-only `to` includes that day). `amount` is the signed change of the balance, `reservedChange` that of the reserved credits, `balanceAfter` the balance after the row.',
        security: [{ bearer: [] }],
        querystring: transactionsQuery,
        response: { 200: transactionsPage, 400: errorSchema, 401: errorSchema },
      },
    },
    async (req) => {
      const p = principal(req);
      const cursor = ctx.cursors.decode<{ s: number }>(req.query.cursor);
      const { rows, nextSeq } = await listTransactions(
        db,
        p.id,
        { type: req.query.type, from: req.query.from, to: req.query.to },
        { limit: req.query.limit, beforeSeq: cursor ? Number(cursor.s) : undefined },
      );
      return { items: rows.map(toTransaction), nextCursor: nextSeq === null ? null : ctx.cursors.encode({ s: nextSeq }) };
    },
  );

  app.get(
    '/api/credits/transactions.csv',
    {
      ...auth,
      schema: {
        tags: ['credits'], summary: 'Ledger rows as CSV', description: 'Every row under the same filters as the JSON list (not one page), with a header line: `id,createdAt,type,amount,reservedChange,balanceAfter,description,metadata`. A text cell that a spreadsheet would run as a formula gets a leading `\'`; numbers stay plain.',
        security: [{ bearer: [] }],
        querystring: transactionsCsvQuery,
        response: { 200: { description: 'The rows as CSV.', content: { 'text/csv': { schema: transactionsCsv } } }, 400: errorSchema, 401: errorSchema },
      },
    },
    async (req, reply) => {
      const p = principal(req);
      const header = ['id', 'createdAt', 'type', 'amount', 'reservedChange', 'balanceAfter', 'description', 'metadata'];
      const chunks: string[] = [stringify([header])];
      for await (const rows of allTransactions(db, p.id, { type: req.query.type, from: req.query.from, to: req.query.to })) {
        chunks.push(
          stringify(
            rows.map((t) => [
              t.id,
              new Date(t.created_at).toISOString(),
              t.type,
              String(mcToCredits(t.amount_mc)),
              String(mcToCredits(t.reserved_change_mc)),
              String(mcToCredits(t.balance_after_mc)),
              safeCell(t.description),
              safeCell(t.metadata ?? ''),
            ]),
          ),
        );
      }
      reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="transactions.csv"')
        .header('cache-control', 'no-store');
      return chunks.join('');
    },
  );

  app.get(
    '/api/credits/usage',
    {
      ...auth,
      schema: {
        tags: ['credits'], summary: 'Usage over time and by operation', description: 'Credits spent and operations counted per UTC day or hour (`granularity`) over `from`..`to` (default: the last 30 days), and per operation and unit with the summed `quantity` in the unit’s base quantity (seconds, bytes, tokens or a count).',
        security: [{ bearer: [] }],
        querystring: usageQuery,
        response: { 200: usageResponse, 400: errorSchema, 401: errorSchema },
      },
    },
    async (req) => {
      const p = principal(req);
      const range = usageRange(Date.now(), req.query);
      const u = await getUsage(db, p.id, range);
      return {
        from: new Date(range.from).toISOString(),
        to: new Date(range.to).toISOString(),
        granularity: range.granularity,
        totalCredits: mcToCredits(u.totalMc),
        totalOperations: u.totalOperations,
        series: u.series.map((s) => ({ bucket: new Date(s.bucket).toISOString(), credits: mcToCredits(s.mc), operations: s.operations })),
        byOperation: u.byOperation.map((o) => ({
          operation: o.operation,
          unit: o.unit,
          credits: mcToCredits(o.mc),
          operations: o.operations,
          quantity: o.quantityMilli / 1000,
        })),
      };
    },
  );
}
