import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { api } from '../../api/client';
import { ByOperationTable } from '../../components/ByOperationTable';
import { DateRangeFields, ReportStatus } from '../../components/DateRangeFields';
import { Empty, Stat } from '../../components/ui';
import { rangeQuery, useDayRange } from '../../lib/date-range';
import { formatBucket, formatCredits, formatMoney } from '../../lib/format';
import { keys } from '../../lib/query-keys';

/** `/admin/analytics`: revenue, credits sold and used, active users and payments over a date range, a daily chart, usage by operation. */
export function AdminAnalyticsPage() {
  const h = useId();
  const { range, setRange, bad } = useDayRange(30);
  const analytics = useQuery({
    queryKey: keys.admin.analytics(range.from, range.to),
    queryFn: ({ signal }) => api('GET /api/admin/analytics', { query: rangeQuery(range), signal }),
    enabled: !bad,
    placeholderData: keepPreviousData,
  });
  const a = analytics.data;
  const chart = (a?.series ?? []).map((s) => ({
    label: formatBucket(s.bucket, 'day'),
    revenue: s.revenueCents / 100,
    credits: s.creditsUsed,
  }));
  return (
    <section className="card" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Analytics</h2>
        <DateRangeFields range={range} onChange={setRange} />
      </div>
      <ReportStatus bad={bad} query={analytics} loading="Loading analytics…" />
      {a ? (
        <>
          <dl className="stats">
            <Stat label="Revenue" value={formatMoney(a.revenueCents)} />
            <Stat label="Credits sold" value={formatCredits(a.creditsSold)} />
            <Stat label="Credits used" value={formatCredits(a.creditsUsed)} />
            <Stat label="Active users" value={a.activeUsers} />
            <Stat label="Payments" value={a.payments.succeeded} hint={`${a.payments.failed} failed`} />
          </dl>
          <figure className="chart" aria-label="Revenue and credits used per day" data-testid="admin-chart">
            <ResponsiveContainer width="100%" height={260} initialDimension={{ width: 600, height: 260 }}>
              <ComposedChart data={chart} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e7ee" />
                <XAxis dataKey="label" tick={{ fontSize: 12, fill: '#4a5568' }} minTickGap={16} />
                <YAxis yAxisId="usd" tick={{ fontSize: 12, fill: '#4a5568' }} width={56} tickFormatter={(v: number) => `$${v}`} />
                <YAxis yAxisId="credits" orientation="right" tick={{ fontSize: 12, fill: '#4a5568' }} width={48} />
                <Tooltip
                  formatter={(v, name) =>
                    name === 'Revenue' ? [formatMoney(Math.round(Number(v) * 100)), name] : [`${formatCredits(Number(v))} credits`, name]
                  }
                />
                <Legend wrapperStyle={{ fontSize: 13 }} formatter={(value) => <span className="legend-text">{value}</span>} />
                <Bar
                  yAxisId="usd"
                  dataKey="revenue"
                  name="Revenue"
                  fill="#5b8def"
                  radius={[3, 3, 0, 0]}
                  maxBarSize={24}
                  isAnimationActive={false}
                />
                <Line
                  yAxisId="credits"
                  type="linear"
                  dataKey="credits"
                  name="Credits used"
                  stroke="#c2410c"
                  strokeWidth={2}
                  dot={{ r: 2 }}
                  isAnimationActive={false}
                />
              </ComposedChart>
            </ResponsiveContainer>
          </figure>
          {a.byOperation.length === 0 ? <Empty>No usage in this period.</Empty> : <ByOperationTable rows={a.byOperation} />}
        </>
      ) : null}
    </section>
  );
}
