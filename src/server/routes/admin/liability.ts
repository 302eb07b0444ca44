import { stringify } from 'csv-stringify/sync';
import { mcToCredits } from '../../../contracts/money.js';
import { liabilityCsv, liabilityQuery, liabilityResponse } from '../../../contracts/promo.js';
import { type Liability, getLiability } from '../../../core/reports/get-liability.js';
import type { App, AppContext } from '../../context.js';
import { sendCsv } from '../../csv-reply.js';
import { adminOnlyRoutes, answers, csvAnswer } from '../../route-docs.js';

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

const HEADER = ['asOf', 'figure', 'from', 'to', 'credits', 'valueCents'];

const ABOUT =
  'Admins only. Prepaid credits outstanding: every grant’s remaining credits (held ones too) at `asOf`, valued at the price the grant was bought at (a package’s price spread over its credits, rounded to the cent per grant; bonus, sign-up, promo and adjustment grants at 0; a usage reversal’s credits at what the reversed charge’s credits were worth); of those, what expires within 30 days after `asOf`; and what expired in the period `from`..`to` (to exclusive; default the calendar month of `asOf`, up to `asOf`). `?asOf=` a date is the end of that UTC day; any past moment is exact, from the grants’ movements written with each ledger row.';

/** The liability report of the grants, as JSON and as CSV, for admins. */
export async function liabilityRoutes(app: App, ctx: AppContext) {
  const route = adminOnlyRoutes(ctx);
  const read = (q: { asOf?: number | undefined; from?: number | undefined; to?: number | undefined }) =>
    getLiability(ctx.core.database.db, { asOf: q.asOf ?? Date.now(), from: q.from, to: q.to });

  app.get(
    '/api/admin/liability',
    route('Liability: what the prepaid credits are worth', ABOUT, {
      querystring: liabilityQuery,
      response: answers({ 200: liabilityResponse }, 400, 401, 403),
    }),
    async (req) => toLiability(await read(req.query)),
  );

  app.get(
    '/api/admin/liability.csv',
    route(
      'Liability as CSV',
      `The figures of \`GET /api/admin/liability\` (same parameters) as CSV, one line per figure (\`outstanding\`, \`expiring_next_30_days\`, \`expired_in_period\`) under the header \`${HEADER.join(',')}\`; credits as decimal numbers, values in cents.`,
      { querystring: liabilityQuery, response: answers({ 200: csvAnswer('The figures as CSV.', liabilityCsv) }, 400, 401, 403) },
    ),
    async (req, reply) => {
      const l = toLiability(await read(req.query));
      const { from, to } = l.period;
      const body = stringify([
        HEADER,
        [l.asOf, 'outstanding', '', '', String(l.credits), String(l.valueCents)],
        [l.asOf, 'expiring_next_30_days', '', '', String(l.expiringNext30Days.credits), String(l.expiringNext30Days.valueCents)],
        [l.asOf, 'expired_in_period', from, to, String(l.expiredInPeriod.credits), String(l.expiredInPeriod.valueCents)],
      ]);
      return sendCsv(reply, `liability-${l.asOf.slice(0, 10)}.csv`, body);
    },
  );
}
