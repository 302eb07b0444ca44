import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type ReactNode, useId } from 'react';
import { Link } from 'react-router';
import { Bar, BarChart, CartesianGrid, ComposedChart, Legend, Line, Tooltip, XAxis, YAxis } from 'recharts';
import type { ResponseOf } from '../../../contracts/endpoints';
import { api } from '../../api/client';
import { ByOperationTable } from '../../components/ByOperationTable';
import { axisLabel, Chart, TICK } from '../../components/Chart';
import { Card } from '../../components/Card';
import { type Column, DataTable, type DataTableProps } from '../../components/DataTable';
import { DateRangeFields, ReportStatus } from '../../components/DateRangeFields';
import { Empty, Stat } from '../../components/ui';
import { rangeQuery, useDayRange } from '../../lib/date-range';
import { formatBucket, creditsText, formatCredits, formatMoney } from '../../lib/format';
import { keys } from '../../lib/query-keys';

type Analytics = ResponseOf<'GET /api/admin/analytics'>;

const DOLLARS = 'US dollars';
const CREDITS = 'Credits';
const dollars = (cents: number) => cents / 100;
const moneyTip = (v: unknown) => formatMoney(Math.round(Number(v) * 100));
const legend = <Legend wrapperStyle={{ fontSize: 13 }} formatter={(value) => <span className="legend-text">{value}</span>} />;

/**
 * `/admin/analytics`: over a date range, net revenue (payments less refunds and lost disputes,
 * each on its own day), refunds, disputes, credits sold and used, active users and payments;
 * a daily chart of the money (dollars, left axis) and the credits used (credits, right axis);
 * net revenue by package (dollars); the top accounts by credits used (credits); usage by operation.
 */
export function AdminAnalyticsPage() {
  const { range, setRange, bad, problem } = useDayRange(30);
  const analytics = useQuery({
    queryKey: keys.admin.analytics(range.from, range.to),
    queryFn: ({ signal }) => api('GET /api/admin/analytics', { query: rangeQuery(range), signal }),
    enabled: !bad,
    placeholderData: keepPreviousData,
  });
  // Not the previous range's figures under the message that this one is wrong.
  const a = bad ? undefined : analytics.data;
  return (
    <Card title="Analytics" actions={<DateRangeFields range={range} onChange={setRange} />}>
      <ReportStatus bad={bad} problem={problem} query={analytics} loading="Loading analytics…" />
      {a ? (
        <>
          <dl className="stats" data-testid="analytics-figures">
            <Stat label="Net revenue" value={formatMoney(a.revenueCents)} hint="payments less refunds and lost disputes" />
            <Stat label="Refunds" value={formatMoney(a.refundsCents)} />
            <Stat label="Disputes lost" value={formatMoney(a.disputesCents)} />
            <Stat label="Credits sold" value={formatCredits(a.creditsSold)} hint="net of refunds and disputes" />
            <Stat label="Credits used" value={formatCredits(a.creditsUsed)} />
            <Stat label="Active users" value={a.activeUsers} />
            <Stat label="Payments" value={a.payments.succeeded} hint={`${a.payments.failed} failed`} />
          </dl>
          <DailyChart a={a} />
          <PackageRevenue a={a} />
          <TopAccounts a={a} />
          <h3>Usage by operation</h3>
          {a.byOperation.length === 0 ? <Empty>No usage in this period.</Empty> : <ByOperationTable rows={a.byOperation} />}
        </>
      ) : null}
    </Card>
  );
}

function DailyChart({ a }: { a: Analytics }) {
  const data = a.series.map((s) => ({
    label: formatBucket(s.bucket, 'day'),
    revenue: dollars(s.revenueCents),
    refunds: dollars(s.refundsCents),
    disputes: dollars(s.disputesCents),
    credits: s.creditsUsed,
  }));
  return (
    <Chart
      label="Net revenue, refunds and disputes lost per day in US dollars, and credits used per day"
      testId="admin-chart"
      height={300}
      caption={
        <>
          Per UTC day. Bars: net revenue, refunds and disputes lost, in US dollars (left axis); line: credits used, in credits (right axis).
          A refund or a lost dispute counts on the day it happened, not on the payment’s day.
        </>
      }
    >
      <ComposedChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
        <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e7ee" />
        <XAxis dataKey="label" tick={TICK} minTickGap={16} />
        <YAxis yAxisId="usd" tick={TICK} width={64} tickFormatter={(v: number) => `$${v}`} label={axisLabel(DOLLARS, 'left')} />
        <YAxis yAxisId="credits" orientation="right" tick={TICK} width={56} label={axisLabel(CREDITS, 'right')} />
        <Tooltip formatter={(v, name) => (name === 'Credits used' ? [`${creditsText(Number(v))}`, name] : [moneyTip(v), name])} />
        {legend}
        <Bar yAxisId="usd" dataKey="revenue" name="Net revenue" fill="#2563eb" maxBarSize={20} isAnimationActive={false} />
        <Bar yAxisId="usd" dataKey="refunds" name="Refunds" fill="#b45309" maxBarSize={20} isAnimationActive={false} />
        <Bar yAxisId="usd" dataKey="disputes" name="Disputes lost" fill="#b91c1c" maxBarSize={20} isAnimationActive={false} />
        <Line
          yAxisId="credits"
          type="linear"
          dataKey="credits"
          name="Credits used"
          stroke="#047857"
          strokeWidth={2}
          dot={{ r: 2 }}
          isAnimationActive={false}
        />
      </ComposedChart>
    </Chart>
  );
}

/**
 * A breakdown of the period under its heading (`title`): `empty` when it has no rows, else its
 * chart (`children`) and the table of its figures (`table`), named by the title.
 */
function Breakdown<T>({
  title,
  empty,
  table,
  children,
}: {
  title: string;
  empty: string;
  table: Pick<DataTableProps<T>, 'rows' | 'rowKey' | 'columns'>;
  children: ReactNode;
}) {
  const h = useId();
  return (
    <section aria-labelledby={h}>
      <h3 id={h}>{title}</h3>
      {table.rows.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        <>
          {children}
          <DataTable caption={title} {...table} />
        </>
      )}
    </section>
  );
}

type PackageRow = Analytics['byPackage'][number];
const PACKAGE_COLUMNS: readonly Column<PackageRow>[] = [
  { header: 'Package', cell: (p) => p.name },
  { header: 'Payments', className: 'num', cell: (p) => p.payments.toLocaleString() },
  { header: 'Net revenue', className: 'num', cell: (p) => formatMoney(p.revenueCents) },
];

function PackageRevenue({ a }: { a: Analytics }) {
  const data = a.byPackage.map((p) => ({ name: p.name, revenue: dollars(p.revenueCents) }));
  return (
    <Breakdown
      title="Revenue by package"
      empty="No payments, refunds or disputes in this period."
      table={{ rows: a.byPackage, rowKey: (p) => p.packageId, columns: PACKAGE_COLUMNS }}
    >
      <Chart label="Net revenue by package in US dollars" testId="package-chart" height={220}>
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 8, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} stroke="#e3e7ee" />
          <XAxis dataKey="name" tick={TICK} />
          <YAxis tick={TICK} width={64} tickFormatter={(v: number) => `$${v}`} label={axisLabel(DOLLARS, 'left')} />
          <Tooltip formatter={(v) => [moneyTip(v), 'Net revenue']} />
          {legend}
          <Bar dataKey="revenue" name="Net revenue (US dollars)" fill="#2563eb" maxBarSize={40} isAnimationActive={false} />
        </BarChart>
      </Chart>
    </Breakdown>
  );
}

type AccountRow = Analytics['topAccounts'][number];
const ACCOUNT_COLUMNS: readonly Column<AccountRow>[] = [
  { header: 'Account', cell: (t) => <Link to={`/admin/users/${t.accountId}`}>{t.name}</Link> },
  { header: 'Credits used', className: 'num', cell: (t) => formatCredits(t.creditsUsed) },
];

function TopAccounts({ a }: { a: Analytics }) {
  const data = a.topAccounts.map((t) => ({ name: t.name, credits: t.creditsUsed }));
  return (
    <Breakdown
      title="Top accounts by credits used"
      empty="No usage in this period."
      table={{ rows: a.topAccounts, rowKey: (t) => t.accountId, columns: ACCOUNT_COLUMNS }}
    >
      <Chart label="Credits used by the top accounts, in credits" testId="accounts-chart" height={Math.max(140, 36 * data.length + 60)}>
        <BarChart data={data} layout="vertical" margin={{ top: 8, right: 16, bottom: 16, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} stroke="#e3e7ee" />
          <XAxis type="number" tick={TICK} label={axisLabel(CREDITS, 'bottom')} />
          <YAxis type="category" dataKey="name" tick={TICK} width={120} />
          <Tooltip formatter={(v) => [`${creditsText(Number(v))}`, 'Credits used']} />
          <Bar dataKey="credits" name="Credits used" fill="#047857" maxBarSize={24} isAnimationActive={false} />
        </BarChart>
      </Chart>
    </Breakdown>
  );
}
