import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ResponseOf } from '../../../contracts/endpoints';
import { api } from '../../api/client';
import { ByOperationTable } from '../../components/ByOperationTable';
import { Card } from '../../components/Card';
import { DataTable } from '../../components/DataTable';
import { DateRangeFields, ReportStatus } from '../../components/DateRangeFields';
import { Badge, Empty, Stat } from '../../components/ui';
import { rangeQuery, useDayRange } from '../../lib/date-range';
import { formatBucket, formatCredits, formatDate, formatDuration, humanize } from '../../lib/format';
import { keys } from '../../lib/query-keys';

type Detail = ResponseOf<'GET /api/admin/users/:id'>;

/** A user's usage report for admins (`GET /api/admin/users/:id/usage`): credits used per day in a chart, totals, by operation. */
export function UserUsage({ userId }: { userId: string }) {
  const { range, setRange, bad } = useDayRange(30);
  const usage = useQuery({
    queryKey: keys.admin.userUsage(userId, range.from, range.to),
    queryFn: ({ signal }) => api('GET /api/admin/users/:id/usage', { params: { id: userId }, query: rangeQuery(range), signal }),
    enabled: !bad,
    placeholderData: keepPreviousData,
  });
  const u = usage.data;
  const data = (u?.series ?? []).map((s) => ({ label: formatBucket(s.bucket, 'day'), credits: s.credits }));
  return (
    <Card title="Usage" actions={<DateRangeFields range={range} onChange={setRange} />}>
      <ReportStatus bad={bad} query={usage} loading="Loading usage…" />
      {u ? (
        <>
          <dl className="stats stats-compact">
            <Stat label="Credits used" value={formatCredits(u.totalCredits)} />
            <Stat label="Operations" value={u.totalOperations.toLocaleString()} />
          </dl>
          {u.totalOperations === 0 ? (
            <Empty>No usage in this period.</Empty>
          ) : (
            <>
              <figure className="chart" aria-label="Credits used per day by this user" data-testid="user-usage-chart">
                <ResponsiveContainer width="100%" height={220} initialDimension={{ width: 600, height: 220 }}>
                  <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
                    <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e7ee" />
                    <XAxis dataKey="label" tick={{ fontSize: 12, fill: '#4a5568' }} minTickGap={16} />
                    <YAxis
                      tick={{ fontSize: 12, fill: '#4a5568' }}
                      width={56}
                      label={{
                        value: 'Credits',
                        angle: -90,
                        position: 'insideLeft',
                        style: { fontSize: 12, fill: '#4a5568', textAnchor: 'middle' },
                      }}
                    />
                    <Tooltip formatter={(v) => [`${formatCredits(Number(v))} credits`, 'Used']} />
                    <Bar dataKey="credits" name="Credits used" fill="#2563eb" maxBarSize={28} isAnimationActive={false} />
                  </BarChart>
                </ResponsiveContainer>
                <figcaption className="muted">Credits used per UTC day.</figcaption>
              </figure>
              <ByOperationTable rows={u.byOperation} />
            </>
          )}
        </>
      ) : null}
    </Card>
  );
}

/** The user's alert and auto-recharge settings, as they set them. */
export function UserSettings({ settings }: { settings: Detail['settings'] }) {
  const a = settings.autoRecharge;
  return (
    <Card title="Settings">
      <dl className="stats stats-compact">
        <Stat label="Low-balance alert below" value={`${formatCredits(settings.lowBalanceThreshold)} credits`} />
        <Stat
          label="Auto-recharge"
          value={a.enabled ? 'On' : 'Off'}
          hint={a.enabled ? `${a.packageId ?? ''} below ${formatCredits(a.thresholdCredits ?? 0)} credits` : undefined}
        />
      </dl>
    </Card>
  );
}

/** The user's last alerts. */
export function UserAlerts({ alerts }: { alerts: Detail['alerts'] }) {
  return (
    <Card title="Alerts">
      <DataTable
        stack
        empty="No alerts."
        caption="Alerts of this user, newest first"
        rows={alerts}
        columns={[
          { header: 'Date', cellClassName: 'nowrap', cell: (a) => formatDate(a.createdAt) },
          { header: 'Type', cell: (a) => <Badge tone="neutral">{humanize(a.type)}</Badge> },
          { header: 'Message', cell: (a) => a.message },
          { header: 'Read', cell: (a) => (a.read ? 'Yes' : 'No') },
        ]}
      />
    </Card>
  );
}

/** The user's last calls. */
export function UserCalls({ calls }: { calls: Detail['calls'] }) {
  return (
    <Card title="Calls">
      <DataTable
        stack
        empty="No calls."
        caption="Calls of this user, newest first"
        rows={calls}
        columns={[
          { header: 'Started', cellClassName: 'nowrap', cell: (c) => formatDate(c.startedAt) },
          { header: 'Number', cellClassName: 'nowrap', cell: (c) => c.phoneNumber },
          { header: 'Status', cell: (c) => humanize(c.status) },
          { header: 'Duration', className: 'num', cell: (c) => (c.durationSeconds === null ? '–' : formatDuration(c.durationSeconds)) },
          { header: 'Charged', className: 'num', cell: (c) => formatCredits(c.charged) },
          { header: 'Held', className: 'num', cell: (c) => (c.reserved ? formatCredits(c.reserved) : '–') },
        ]}
      />
    </Card>
  );
}
