import { stringify } from 'csv-stringify/sync';
import { mcToCredits } from '../../../contracts/money.js';
import { type Liability, getLiability } from '../../../core/reports/get-liability.js';
import type { App, AppContext } from '../../context.js';
import { sendCsv } from '../../csv-reply.js';
import { LIABILITY_CSV_HEADER } from '../../presenters.js';
import { adminOnlyRoutes } from '../../route-docs.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function toLiability(l: Liability) {
  return {
    asOf: iso(l.asOf),
    credits: mcToCredits(l.outstanding.creditsMc),
    valueCents: l.outstanding.valueCents,
    expiringNext30Days: { credits: mcToCredits(l.expiringNext30Days.creditsMc), valueCents: l.expiringNext30Days.valueCents },
    expiredInPeriod: { credits: mcToCredits(l.expired.creditsMc), valueCents: l.expired.valueCents },
    period: { from: iso(l.from), to: iso(l.to) },
  };
}

/** The liability report of the grants, as JSON and as CSV, for admins. */
export async function liabilityRoutes(app: App, ctx: AppContext) {
  const route = adminOnlyRoutes(app, ctx);
  const read = (q: { asOf?: number | undefined; from?: number | undefined; to?: number | undefined }) =>
    getLiability(ctx.core.database.db, { asOf: q.asOf ?? Date.now(), from: q.from, to: q.to });

  route('GET /api/admin/liability', async (req) => toLiability(await read(req.query)));

  route('GET /api/admin/liability.csv', async (req, reply) => {
    const l = toLiability(await read(req.query));
    const { from, to } = l.period;
    const body = stringify([
      LIABILITY_CSV_HEADER,
      [l.asOf, 'outstanding', '', '', String(l.credits), String(l.valueCents)],
      [l.asOf, 'expiring_next_30_days', '', '', String(l.expiringNext30Days.credits), String(l.expiringNext30Days.valueCents)],
      [l.asOf, 'expired_in_period', from, to, String(l.expiredInPeriod.credits), String(l.expiredInPeriod.valueCents)],
    ]);
    return sendCsv(reply, `liability-${l.asOf.slice(0, 10)}.csv`, body);
  });
}
