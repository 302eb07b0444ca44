import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { api } from '../../api/client';
import { CsvButton, useCsvDownload } from '../../components/CsvDownload';
import { Field } from '../../components/Field';
import { QueryStatus } from '../../components/QueryStatus';
import { ErrorMessage, Stat } from '../../components/ui';
import { formatCredits, formatDate, formatMoney } from '../../lib/format';
import { keys } from '../../lib/query-keys';

/** Today as YYYY-MM-DD in UTC: the report's days are UTC days (the API reads `asOf=` a date as the end of that UTC day). */
const todayUtc = () => new Date().toISOString().slice(0, 10);

/**
 * `/admin/liability`: what the prepaid credits outstanding are worth at the end of a chosen
 * (UTC) day, what of them expires within 30 days after it, and what expired in its month up to
 * it; "Download CSV" saves the same figures.
 */
export function AdminLiabilityPage() {
  const h = useId();
  const [day, setDay] = useState('');
  const asOf = day && day <= todayUtc() ? day : undefined;
  const query = asOf ? { asOf } : {};
  const report = useQuery({
    queryKey: keys.admin.liability(asOf ?? ''),
    queryFn: ({ signal }) => api('GET /api/admin/liability', { query, signal }),
  });
  const csv = useCsvDownload('GET /api/admin/liability.csv', () => `liability-${asOf ?? todayUtc()}.csv`, { query });
  const l = report.data;
  return (
    <section className="card" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Liability</h2>
        <CsvButton csv={csv} />
      </div>
      <p className="muted">
        Prepaid credits not yet spent or expired, valued at the price each grant was bought at (bonus and promotional credits at $0.00).
      </p>
      <div className="toolbar">
        <Field
          label="As of (end of day, UTC)"
          type="date"
          value={day}
          max={todayUtc()}
          onChange={(e) => setDay(e.target.value)}
          hint={day && !asOf ? 'A day in the future has no figures yet: showing now.' : 'Blank: now.'}
        />
      </div>
      <ErrorMessage error={csv.error} />
      <QueryStatus query={report} count={l ? 1 : 0} empty="" />
      {l ? (
        <>
          <p>
            As of <time dateTime={l.asOf}>{formatDate(l.asOf)}</time>
          </p>
          <dl className="stats" aria-label="Liability figures">
            <Stat label="Outstanding credits" value={formatCredits(l.credits)} hint="credits" />
            <Stat label="Outstanding value" value={formatMoney(l.valueCents)} />
            <Stat
              label="Expiring within 30 days"
              value={formatCredits(l.expiringNext30Days.credits)}
              hint={`credits, ${formatMoney(l.expiringNext30Days.valueCents)}`}
            />
            <Stat
              label="Expired in the period"
              value={formatCredits(l.expiredInPeriod.credits)}
              hint={`credits, ${formatMoney(l.expiredInPeriod.valueCents)}, ${formatDate(l.period.from)} to ${formatDate(l.period.to)}`}
            />
          </dl>
        </>
      ) : null}
    </section>
  );
}
