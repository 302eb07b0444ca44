import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { get, qs } from '../../api/client';
import type { UsageReport } from '../../api/types';
import { Empty, ErrorMessage, Loading, Stat } from '../../components/ui';
import { formatBucket, formatCredits, humanize, isoDay, unitLabel } from '../../lib/format';

const DAY = 86_400_000;

function rangeFor(days: number): { from: string; to: string } {
  const now = new Date();
  return { from: isoDay(new Date(now.getTime() - (days - 1) * DAY)), to: isoDay(now) };
}

export function UsageAnalytics() {
  const ids = { g: useId(), from: useId(), to: useId(), h: useId() };
  const [granularity, setGranularity] = useState<'day' | 'hour'>('day');
  const [range, setRange] = useState(() => rangeFor(30));
  const badRange = range.from > range.to;
  const fromIso = `${range.from}T00:00:00.000Z`;
  const toIso = `${range.to}T23:59:59.999Z`;
  const usage = useQuery({
    queryKey: ['usage', granularity, range.from, range.to],
    queryFn: ({ signal }) => get<UsageReport>(`/api/credits/usage${qs({ granularity, from: fromIso, to: toIso })}`, signal),
    enabled: !badRange && Boolean(range.from && range.to),
    placeholderData: (prev) => prev,
  });
  const data = usage.data;
  const chartData = (data?.series ?? []).map((s) => ({ label: formatBucket(s.bucket, granularity), credits: s.credits, operations: s.operations }));
  const maxOp = Math.max(0, ...(data?.byOperation ?? []).map((o) => o.credits));

  const changeGranularity = (g: 'day' | 'hour') => {
    setGranularity(g);
    if (g === 'hour' && new Date(range.to).getTime() - new Date(range.from).getTime() > 6 * DAY) setRange(rangeFor(2));
  };

  return (
    <section className="card usage" aria-labelledby={ids.h}>
      <div className="card-head">
        <h2 id={ids.h}>Usage analytics</h2>
      </div>
      <fieldset className="toolbar">
        <legend className="visually-hidden">Date range</legend>
        <div className="field field-inline">
          <label htmlFor={ids.from}>From</label>
          <input id={ids.from} type="date" value={range.from} max={range.to} onChange={(e) => setRange((r) => ({ ...r, from: e.target.value }))} />
        </div>
        <div className="field field-inline">
          <label htmlFor={ids.to}>To</label>
          <input id={ids.to} type="date" value={range.to} min={range.from} onChange={(e) => setRange((r) => ({ ...r, to: e.target.value }))} />
        </div>
        <div className="field field-inline">
          <label htmlFor={ids.g}>Group by</label>
          <select id={ids.g} value={granularity} onChange={(e) => changeGranularity(e.target.value as 'day' | 'hour')}>
            <option value="day">Day</option>
            <option value="hour">Hour</option>
          </select>
        </div>
        <div className="quick-ranges">
          {[7, 30, 90].map((d) => (
            <button
              key={d}
              type="button"
              className="button button-ghost button-small"
              onClick={() => {
                setRange(rangeFor(d));
                if (d > 31) setGranularity('day');
              }}
            >
              {d} days
            </button>
          ))}
        </div>
      </fieldset>
      {badRange ? <p className="notice notice-error">The start date must not be after the end date.</p> : null}
      <ErrorMessage error={usage.error} />
      {usage.isPending && !badRange ? <Loading label="Loading usage…" /> : null}
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
                    <Tooltip formatter={(v) => [`${formatCredits(Number(v))} credits`, 'Used']} cursor={{ fill: 'rgba(37, 99, 235, 0.08)' }} />
                    <Bar dataKey="credits" name="Credits" fill="#2563eb" radius={[3, 3, 0, 0]} maxBarSize={28} isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
                <figcaption className="muted">
                  Credits used per {granularity} (UTC), {usage.isFetching ? 'updating…' : `${formatCredits(data.totalCredits)} in total`}
                </figcaption>
              </figure>
              <div className="table-wrap">
                <table className="table">
                  <caption className="visually-hidden">Usage by operation</caption>
                  <thead>
                    <tr>
                      <th scope="col">Operation</th>
                      <th scope="col" className="num">
                        Count
                      </th>
                      <th scope="col" className="num">
                        Credits
                      </th>
                      <th scope="col" className="bar-col">
                        <span className="visually-hidden">Share</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.byOperation.map((o) => (
                      <tr key={`${o.operation}/${o.unit}`}>
                        <td>
                          {humanize(o.operation)} <span className="muted small nowrap">{unitLabel(o.unit)}</span>
                        </td>
                        <td className="num">{o.operations.toLocaleString()}</td>
                        <td className="num">{formatCredits(o.credits)}</td>
                        <td className="bar-col" aria-hidden="true">
                          <span className="share-bar" style={{ width: `${maxOp > 0 ? Math.max(2, (o.credits / maxOp) * 100) : 0}%` }} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </>
      ) : null}
    </section>
  );
}
