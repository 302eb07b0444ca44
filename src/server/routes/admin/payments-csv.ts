import { stringify } from 'csv-stringify/sync';
import { adminPaymentsCsv, adminPaymentsCsvQuery } from '../../../contracts/admin.js';
import { allAdminPayments } from '../../../core/payments/list-admin-payments.js';
import type { App, AppContext } from '../../context.js';
import { sendCsv } from '../../csv-reply.js';
import { safeCell, toAdminPayment } from '../../presenters.js';
import { adminOnlyRoutes, answers, csvAnswer } from '../../route-docs.js';

const HEADER = [
  'id',
  'createdAt',
  'userId',
  'userEmail',
  'status',
  'provider',
  'packageId',
  'amountCents',
  'currency',
  'credits',
  'refundedCents',
  'disputeStatus',
  'stripePaymentIntentId',
  'failureReason',
  'receiptUrl',
  'accountKind',
  'accountName',
];

/** Payment monitoring as CSV, for admins. */
export async function adminPaymentsCsvRoutes(app: App, ctx: AppContext) {
  const route = adminOnlyRoutes(ctx);
  app.get(
    '/api/admin/payments.csv',
    route(
      'Payments as CSV',
      `Admins only. Every payment under the filters of \`GET /api/admin/payments\` (\`status\`, \`userId\`, \`from\`, \`to\`; not one page), newest first, with a header line: \`${HEADER.join(',')}\` (an organisation’s payment: \`userId\` is the organisation’s id, \`userEmail\` the email of the owner or admin who bought it, empty when not recorded, \`accountName\` its name). A text cell that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) gets a leading \`'\`; numbers stay plain.`,
      { querystring: adminPaymentsCsvQuery, response: answers({ 200: csvAnswer('The rows as CSV.', adminPaymentsCsv) }, 400, 401, 403) },
    ),
    async (req, reply) => {
      const chunks: string[] = [stringify([HEADER])];
      for await (const rows of allAdminPayments(ctx.core.database.db, req.query)) {
        chunks.push(
          stringify(
            rows
              .map(toAdminPayment)
              .map((p) => [
                safeCell(p.id),
                p.createdAt,
                safeCell(p.userId),
                safeCell(p.userEmail ?? ''),
                p.status,
                p.provider,
                safeCell(p.packageId),
                String(p.amountCents),
                safeCell(p.currency),
                String(p.credits),
                String(p.refundedCents),
                p.disputeStatus ?? '',
                safeCell(p.stripePaymentIntentId ?? ''),
                safeCell(p.failureReason ?? ''),
                safeCell(p.receiptUrl ?? ''),
                p.accountKind,
                safeCell(p.accountName),
              ]),
          ),
        );
      }
      return sendCsv(reply, 'payments.csv', chunks.join(''));
    },
  );
}
