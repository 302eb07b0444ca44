import { stringify } from 'csv-stringify/sync';
import { allAdminPayments } from '../../../core/payments/list-admin-payments.js';
import type { App, AppContext } from '../../context.js';
import { sendCsv } from '../../csv-reply.js';
import { ADMIN_PAYMENTS_CSV_HEADER, safeCell, toAdminPayment } from '../../presenters.js';
import { adminOnlyRoutes } from '../../route-docs.js';

/** Payment monitoring as CSV, for admins. */
export async function adminPaymentsCsvRoutes(app: App, ctx: AppContext) {
  const route = adminOnlyRoutes(app, ctx);
  route('GET /api/admin/payments.csv', async (req, reply) => {
    const chunks: string[] = [stringify([ADMIN_PAYMENTS_CSV_HEADER])];
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
  });
}
