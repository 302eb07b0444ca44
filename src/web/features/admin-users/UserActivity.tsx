import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from 'recharts';
import type { ResponseOf } from '../../../contracts/endpoints';
import { api } from '../../api/client';
import { ByOperationTable } from '../../components/ByOperationTable';
import { Card } from '../../components/Card';
import { axisLabel, Chart, TICK } from '../../components/Chart';
import { type Column, DataTable } from '../../components/DataTable';
import { DateRangeFields, ReportStatus } from '../../components/DateRangeFields';
import { Badge, Empty, Stat } from '../../components/ui';
import { rangeQuery, useDayRange } from '../../lib/date-range';
import { formatBucket, creditsText, formatCredits, formatDate, formatDuration, humanize } from '../../lib/format';
import { keys } from '../../lib/query-keys';
import { usePackages } from '../credits/hooks';

type Detail = ResponseOf<'GET /api/admin/users/:id'>;

/** A user's usage report for admins (`GET /api/admin/users/:id/usage`): credits used per day in a chart, totals, by operation. */
export function UserUsage({ userId }: { userId: string }) {
  const { range, setRange, bad, problem } = useDayRange(30);
  const usage = useQuery({
    queryKey: keys.admin.userUsage(userId, range.from, range.to),
    queryFn: ({ signal }) => api('GET /api/admin/users/:id/usage', { params: { id: userId }, query: rangeQuery(range), signal }),
    enabled: !bad,
    placeholderData: keepPreviousData,
  });
  // Not the previous range's figures under the message that this one is wrong.
  const u = bad ? undefined : usage.data;
  const data = (u?.series ?? []).map((s) => ({ label: formatBucket(s.bucket, 'day'), credits: s.credits }));
  return (
    <Card title="Usage" actions={<DateRangeFields range={range} onChange={setRange} />}>
      <ReportStatus bad={bad} problem={problem} query={usage} loading="Loading usage…" />
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
              <Chart label="Credits used per day by this user" testId="user-usage-chart" height={220} caption="Credits used per UTC day.">
                <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e7ee" />
                  <XAxis dataKey="label" tick={TICK} minTickGap={16} />
                  <YAxis tick={TICK} width={56} label={axisLabel('Credits', 'left')} />
                  <Tooltip formatter={(v) => [`${creditsText(Number(v))}`, 'Used']} />
                  <Bar dataKey="credits" name="Credits used" fill="#2563eb" maxBarSize={28} isAnimationActive={false} />
                </BarChart>
              </Chart>
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
  // By the package's name, as the user's own settings show it (its id when it is no longer for sale).
  const packages = usePackages();
  const packageName = packages.data?.find((p) => p.id === a.packageId)?.name ?? a.packageId ?? '';
  return (
    <Card title="Settings">
      <dl className="stats stats-compact">
        <Stat label="Low-balance alert below" value={`${creditsText(settings.lowBalanceThreshold)}`} />
        <Stat
          label="Auto-recharge"
          value={a.enabled ? 'On' : 'Off'}
          hint={a.enabled ? `${packageName} below ${creditsText(a.thresholdCredits ?? 0)}` : undefined}
        />
      </dl>
    </Card>
  );
}

/** A card of the user's last alerts or calls, newest first. */
function Latest<T>({ title, rows, columns }: { title: 'Alerts' | 'Calls'; rows: readonly T[]; columns: readonly Column<T>[] }) {
  return (
    <Card title={title}>
      <DataTable stack empty={`No ${title.toLowerCase()}.`} caption={`${title} of this user, newest first`} rows={rows} columns={columns} />
    </Card>
  );
}

const ALERT_COLUMNS: readonly Column<Detail['alerts'][number]>[] = [
  { header: 'Date', cellClassName: 'nowrap', cell: (a) => formatDate(a.createdAt) },
  { header: 'Type', cell: (a) => <Badge tone="neutral">{humanize(a.type)}</Badge> },
  { header: 'Message', cell: (a) => a.message },
  { header: 'Read', cell: (a) => (a.read ? 'Yes' : 'No') },
];

const CALL_COLUMNS: readonly Column<Detail['calls'][number]>[] = [
  { header: 'Started', cellClassName: 'nowrap', cell: (c) => formatDate(c.startedAt) },
  { header: 'Number', cellClassName: 'nowrap', cell: (c) => c.phoneNumber },
  { header: 'Status', cell: (c) => humanize(c.status) },
  { header: 'Duration', className: 'num', cell: (c) => (c.durationSeconds === null ? '–' : formatDuration(c.durationSeconds)) },
  { header: 'Charged', className: 'num', cell: (c) => formatCredits(c.charged) },
  { header: 'Held', className: 'num', cell: (c) => (c.reserved ? formatCredits(c.reserved) : '–') },
];

/** The user's last alerts. */
export function UserAlerts({ alerts }: { alerts: Detail['alerts'] }) {
  return <Latest title="Alerts" rows={alerts} columns={ALERT_COLUMNS} />;
}

/** The user's last calls. */
export function UserCalls({ calls }: { calls: Detail['calls'] }) {
  return <Latest title="Calls" rows={calls} columns={CALL_COLUMNS} />;
}
