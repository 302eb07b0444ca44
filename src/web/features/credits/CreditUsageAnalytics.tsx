import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import type { GRANULARITIES } from '../../../contracts/enums';
import { api, getAccount } from '../../api/client';
import { CsvButton, useCsvDownload } from '../../components/CsvDownload';
import { ByOperationTable } from '../../components/ByOperationTable';
import { Chart, TICK } from '../../components/Chart';
import { ByMemberTable } from './ByMemberTable';
import { DateRangeFields, ReportStatus } from '../../components/DateRangeFields';
import { SelectField } from '../../components/Field';
import { Empty, ErrorMessage, Stat } from '../../components/ui';
import { useChosenAccount } from '../../lib/account';
import { lastDays, rangeQuery, spanDays, useDayRange } from '../../lib/date-range';
import { formatBucket, creditsText, formatCredits, humanize } from '../../lib/format';
import { keys } from '../../lib/query-keys';

type Granularity = (typeof GRANULARITIES)[number];

/**
 * One colour per operation, the same on every chart of the page: told apart from each other
 * and from both themes' backgrounds (each at least 3:1 against white and the dark surface).
 */
const OPERATION_COLOURS = ['#3b6fe0', '#d9622b', '#1f9e89', '#9b59d0', '#c49a00', '#d6457f', '#5f9e2f', '#7b8797'];

/** "1 Nov – 30 Nov 2026" of a day range (UTC days, as the report). */
function rangeWords(from: string, to: string): string {
  const day = (d: string) => new Date(`${d}T00:00:00Z`).toLocaleDateString(undefined, { day: 'numeric', month: 'short', timeZone: 'UTC' });
  const year = to.slice(0, 4);
  return from === to ? `${day(from)} ${year}` : `${day(from)} – ${day(to)} ${year}`;
}

/** CreditUsageAnalytics: credits used per day or hour over a date range (a bar chart by operation), totals, usage by operation, and the report as CSV. */
export function CreditUsageAnalytics() {
  const h = useId();
  const [granularity, setGranularity] = useState<Granularity>('day');
  const { range, setRange, bad, problem } = useDayRange(30);
  // An organisation's report is also split by the member who spent (`groupBy=member`). Whether
  // to ask is decided when the call is made, from the account it will carry, not from this
  // render: a change of account refetches the mounted query at once (lib/account.ts
  // `followAccount`), before the re-render gives it its new key, and a personal account
  // refuses `groupBy` with 400.
  const { isOrg } = useChosenAccount();
  const usage = useQuery({
    queryKey: keys.usage.report(granularity, range.from, range.to, isOrg),
    queryFn: ({ signal }) =>
      api('GET /api/credits/usage', {
        query: { granularity, ...rangeQuery(range), ...(getAccount() !== null ? { groupBy: 'member' as const } : {}) },
        signal,
      }),
    enabled: !bad && Boolean(range.from && range.to),
    placeholderData: keepPreviousData,
  });
  const csv = useCsvDownload('GET /api/credits/usage.csv', () => `usage-${range.from}-to-${range.to}.csv`, {
    query: { granularity, ...rangeQuery(range) },
  });
  // Not the previous range's figures under the message that this one is wrong.
  const data = bad ? undefined : usage.data;
  // The operations of the period, largest first: one stacked bar each, with its colour.
  const operations = [...new Set((data?.byOperation ?? []).map((o) => o.operation))];
  const colour = (op: string) => OPERATION_COLOURS[operations.indexOf(op) % OPERATION_COLOURS.length];
  const chartData = (data?.series ?? []).map((s) => ({
    label: formatBucket(s.bucket, granularity),
    credits: s.credits,
    operations: s.operations,
    ...Object.fromEntries(operations.map((op) => [op, s.byOperation?.[op] ?? 0])),
  }));
  const quick = [7, 30, 90].find((d) => {
    const r = lastDays(d);
    return r.from === range.from && r.to === range.to;
  });

  const changeGranularity = (g: Granularity) => {
    setGranularity(g);
    if (g === 'hour' && spanDays(range) > 6) setRange(lastDays(2));
  };

  return (
    <section className="card usage" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Usage analytics</h2>
        <CsvButton csv={csv} label="Download usage CSV" disabled={bad} />
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
              aria-pressed={quick === d}
              className={`button button-ghost button-small${quick === d ? ' button-selected' : ''}`}
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
      <ReportStatus bad={bad} problem={problem} query={usage} loading="Loading usage…" />
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
              <Chart
                label="Credits used over time, by operation"
                testId="usage-chart"
                height={260}
                head={
                  <p className="chart-range">
                    <strong>{rangeWords(range.from, range.to)}</strong>
                    {quick ? ` · last ${quick} days` : ''} · {granularity === 'hour' ? 'hours' : 'days'} in UTC
                  </p>
                }
                caption={
                  <>
                    Credits used per {granularity} by operation,{' '}
                    {usage.isFetching ? 'updating…' : `${formatCredits(data.totalCredits)} in total`}. Chart{' '}
                    {granularity === 'hour' ? 'hours' : 'days'} are UTC; times in the history are in your time zone.
                  </>
                }
              >
                <BarChart data={chartData} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e7ee" />
                  <XAxis dataKey="label" tick={TICK} interval="preserveStartEnd" minTickGap={16} />
                  <YAxis
                    tick={TICK}
                    width={64}
                    allowDecimals
                    tickFormatter={(v: number) => formatCredits(v)}
                    label={{ value: 'Credits', angle: -90, position: 'insideLeft', style: { textAnchor: 'middle', fontSize: 12 } }}
                  />
                  <Tooltip
                    separator=": "
                    itemStyle={{ color: 'var(--text)' }}
                    formatter={(v, name) => [`${creditsText(Number(v))}`, name]}
                    cursor={{ fill: 'rgba(37, 99, 235, 0.08)' }}
                  />
                  <Legend wrapperStyle={{ fontSize: 13 }} formatter={(value) => <span className="legend-text">{value}</span>} />
                  {operations.map((op, i) => (
                    <Bar
                      key={op}
                      dataKey={op}
                      name={humanize(op)}
                      stackId="usage"
                      fill={colour(op)}
                      radius={i === operations.length - 1 ? [3, 3, 0, 0] : [0, 0, 0, 0]}
                      maxBarSize={28}
                      isAnimationActive={false}
                    />
                  ))}
                </BarChart>
              </Chart>
              <ByOperationTable rows={data.byOperation} />
              {data.byMember ? <ByMemberTable rows={data.byMember} /> : null}
            </>
          )}
        </>
      ) : null}
    </section>
  );
}
