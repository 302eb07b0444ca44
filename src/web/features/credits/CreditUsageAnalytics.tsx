import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { GRANULARITIES } from '../../../contracts/enums';
import { api, downloadFile } from '../../api/client';
import { ByOperationTable } from '../../components/ByOperationTable';
import { DateRangeFields, ReportStatus } from '../../components/DateRangeFields';
import { SelectField } from '../../components/Field';
import { Empty, ErrorMessage, Stat } from '../../components/ui';
import { lastDays, rangeQuery, spanDays, useDayRange } from '../../lib/date-range';
import { formatBucket, formatCredits } from '../../lib/format';
import { keys } from '../../lib/query-keys';

type Granularity = (typeof GRANULARITIES)[number];

/** CreditUsageAnalytics: credits used per day or hour over a date range (a bar chart), totals, usage by operation, and the report as CSV. */
export function CreditUsageAnalytics() {
  const h = useId();
  const [granularity, setGranularity] = useState<Granularity>('day');
  const { range, setRange, bad } = useDayRange(30);
  const usage = useQuery({
    queryKey: keys.usage.report(granularity, range.from, range.to),
    queryFn: ({ signal }) => api('GET /api/credits/usage', { query: { granularity, ...rangeQuery(range) }, signal }),
    enabled: !bad && Boolean(range.from && range.to),
    placeholderData: keepPreviousData,
  });
  const csv = useMutation({
    mutationFn: () =>
      downloadFile('GET /api/credits/usage.csv', `usage-${range.from}-to-${range.to}.csv`, {
        query: { granularity, ...rangeQuery(range) },
      }),
  });
  const data = usage.data;
  const chartData = (data?.series ?? []).map((s) => ({
    label: formatBucket(s.bucket, granularity),
    credits: s.credits,
    operations: s.operations,
  }));

  const changeGranularity = (g: Granularity) => {
    setGranularity(g);
    if (g === 'hour' && spanDays(range) > 6) setRange(lastDays(2));
  };

  return (
    <section className="card usage" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Usage analytics</h2>
        <button type="button" className="button button-small" onClick={() => csv.mutate()} disabled={csv.isPending || bad}>
          {csv.isPending ? 'Preparing…' : 'Download usage CSV'}
        </button>
      </div>
      <ErrorMessage error={csv.error} />
      <DateRangeFields range={range} onChange={setRange}>
        <SelectField
          label="Group by"
          className="field-inline"
          value={granularity}
          onChange={(e) => changeGranularity(e.target.value as Granularity)}
        >
          <option value="day">Day</option>
          <option value="hour">Hour</option>
        </SelectField>
        <div className="quick-ranges">
          {[7, 30, 90].map((d) => (
            <button
              key={d}
              type="button"
              className="button button-ghost button-small"
              onClick={() => {
                setRange(lastDays(d));
                if (d > 31) setGranularity('day');
              }}
            >
              {d} days
            </button>
          ))}
        </div>
      </DateRangeFields>
      <ReportStatus bad={bad} query={usage} loading="Loading usage…" />
      {data ? (
        <>
          <dl className="stats stats-compact">
            <Stat label="Credits used" value={formatCredits(data.totalCredits)} />
            <Stat label="Operations" value={data.totalOperations.toLocaleString()} />
            <Stat label="Operation types" value={data.byOperation.length} />
          </dl>
          {data.totalOperations === 0 ? (
            <Empty>No usage in this period. Operations you run on the platform appear here.</Empty>
          ) : (
            <>
              <figure className="chart" aria-label="Credits used over time" data-testid="usage-chart">
                <ResponsiveContainer width="100%" height={240} initialDimension={{ width: 600, height: 240 }}>
                  <BarChart data={chartData} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
                    <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e7ee" />
                    <XAxis dataKey="label" tick={{ fontSize: 12, fill: '#4a5568' }} interval="preserveStartEnd" minTickGap={16} />
                    <YAxis tick={{ fontSize: 12, fill: '#4a5568' }} width={48} allowDecimals />
                    <Tooltip
                      formatter={(v) => [`${formatCredits(Number(v))} credits`, 'Used']}
                      cursor={{ fill: 'rgba(37, 99, 235, 0.08)' }}
                    />
                    <Bar dataKey="credits" name="Credits" fill="#2563eb" radius={[3, 3, 0, 0]} maxBarSize={28} isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
                <figcaption className="muted">
                  Credits used per {granularity} (UTC), {usage.isFetching ? 'updating…' : `${formatCredits(data.totalCredits)} in total`}
                </figcaption>
              </figure>
              <ByOperationTable rows={data.byOperation} />
            </>
          )}
        </>
      ) : null}
    </section>
  );
}
