import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link } from 'react-router';
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { get, postMoney, qs } from '../../api/client';
import type { AdminAnalytics, AuditEntry, Page, Payment } from '../../api/types';
import { Dialog, focusOnMount } from '../../components/Dialog';
import { Field, fieldErrors } from '../../components/Field';
import { Badge, Empty, ErrorMessage, Loading, Stat, Success, statusTone } from '../../components/ui';
import { formatBucket, formatCredits, formatDate, formatMoney, humanize, isoDay, unitLabel } from '../../lib/format';

const STATUSES = ['pending', 'succeeded', 'failed', 'refunded', 'partially_refunded', 'disputed'] as const;

function RefundDialog({ payment, onClose }: { payment: Payment; onClose(): void }) {
  const remaining = payment.amountCents - (payment.refundedCents ?? 0);
  const [amount, setAmount] = useState((remaining / 100).toFixed(2));
  const queryClient = useQueryClient();
  const refund = useMutation({
    mutationFn: () => {
      const cents = Math.round(Number(amount) * 100);
      return postMoney<{ payment: Payment }>(`/api/admin/payments/${encodeURIComponent(payment.id)}/refund`, cents === remaining ? {} : { amountCents: cents });
    },
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['admin'] }),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    refund.mutate();
  };
  return (
    <Dialog title="Refund payment" onClose={onClose} description={`${formatMoney(payment.amountCents, payment.currency)} for ${formatCredits(payment.credits)} credits, ${formatMoney(remaining, payment.currency)} refundable. The matching share of the credits is taken back.`}>
      {refund.data ? (
        <div className="stack">
          <Success>Refund recorded; the payment is now {humanize(refund.data.payment.status).toLowerCase()}.</Success>
          <div className="actions">
            <button type="button" className="button button-primary" onClick={onClose} ref={focusOnMount}>
              Close
            </button>
          </div>
        </div>
      ) : (
        <form className="stack" onSubmit={submit} noValidate>
          <Field
            label="Amount to refund (USD)"
            type="number"
            min="0.01"
            step="0.01"
            max={(remaining / 100).toFixed(2)}
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            error={fieldErrors(refund.error).amountCents}
          />
          <ErrorMessage error={refund.error} inline={['amountCents']} />
          <div className="actions">
            <button type="button" className="button button-ghost" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button button-danger" disabled={refund.isPending}>
              Confirm refund
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

export function AdminPayments() {
  const ids = { h: useId(), s: useId() };
  const [status, setStatus] = useState('');
  const [refunding, setRefunding] = useState<Payment | null>(null);
  const payments = useInfiniteQuery({
    queryKey: ['admin', 'payments', status],
    queryFn: ({ pageParam, signal }) => get<Page<Payment>>(`/api/admin/payments${qs({ status, limit: 25, cursor: pageParam })}`, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = payments.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="card" aria-labelledby={ids.h}>
      <div className="card-head">
        <h2 id={ids.h}>Payments</h2>
        <div className="field field-inline">
          <label htmlFor={ids.s}>Status</label>
          <select id={ids.s} value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">All statuses</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanize(s)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorMessage error={payments.error} />
      {payments.isPending ? <Loading /> : null}
      {payments.isSuccess && items.length === 0 ? <Empty>No payments{status ? ' with this status' : ''}.</Empty> : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">User</th>
                <th scope="col">Status</th>
                <th scope="col">Provider</th>
                <th scope="col" className="num">
                  Amount
                </th>
                <th scope="col" className="num">
                  Refunded
                </th>
                <th scope="col" className="num">
                  Credits
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => {
                const refundable = (p.status === 'succeeded' || p.status === 'partially_refunded') && p.amountCents - (p.refundedCents ?? 0) > 0;
                return (
                  <tr key={p.id}>
                    <td className="nowrap">{formatDate(p.createdAt)}</td>
                    <td>{p.userId ? <Link to={`/admin/users/${encodeURIComponent(p.userId)}`}>View user</Link> : ''}</td>
                    <td>
                      <Badge tone={statusTone(p.status)}>{humanize(p.status)}</Badge>
                    </td>
                    <td>{humanize(p.provider)}</td>
                    <td className="num">{formatMoney(p.amountCents, p.currency)}</td>
                    <td className="num">{p.refundedCents ? formatMoney(p.refundedCents, p.currency) : '–'}</td>
                    <td className="num">{formatCredits(p.credits)}</td>
                    <td className="right">
                      {refundable ? (
                        <button type="button" className="button button-small" onClick={() => setRefunding(p)}>
                          Refund
                        </button>
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {payments.hasNextPage ? (
        <div className="actions">
          <button type="button" className="button" onClick={() => void payments.fetchNextPage()} disabled={payments.isFetchingNextPage}>
            Load more
          </button>
        </div>
      ) : null}
      {refunding ? <RefundDialog payment={refunding} onClose={() => setRefunding(null)} /> : null}
    </section>
  );
}

export function AdminAnalyticsPage() {
  const ids = { h: useId(), from: useId(), to: useId() };
  const [range, setRange] = useState(() => ({ from: isoDay(new Date(Date.now() - 29 * 86_400_000)), to: isoDay(new Date()) }));
  const bad = range.from > range.to;
  const analytics = useQuery({
    queryKey: ['admin', 'analytics', range.from, range.to],
    queryFn: ({ signal }) => get<AdminAnalytics>(`/api/admin/analytics${qs({ from: `${range.from}T00:00:00.000Z`, to: `${range.to}T23:59:59.999Z` })}`, signal),
    enabled: !bad,
    placeholderData: (prev) => prev,
  });
  const a = analytics.data;
  const chart = (a?.series ?? []).map((s) => ({ label: formatBucket(s.bucket, 'day'), revenue: s.revenueCents / 100, credits: s.creditsUsed }));
  return (
    <section className="card" aria-labelledby={ids.h}>
      <div className="card-head">
        <h2 id={ids.h}>Analytics</h2>
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
        </fieldset>
      </div>
      {bad ? <p className="notice notice-error">The start date must not be after the end date.</p> : null}
      <ErrorMessage error={analytics.error} />
      {analytics.isPending && !bad ? <Loading label="Loading analytics…" /> : null}
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
                  formatter={(v, name) => (name === 'Revenue' ? [formatMoney(Math.round(Number(v) * 100)), name] : [`${formatCredits(Number(v))} credits`, name])}
                />
                <Legend wrapperStyle={{ fontSize: 13 }} formatter={(value) => <span className="legend-text">{value}</span>} />
                <Bar yAxisId="usd" dataKey="revenue" name="Revenue" fill="#5b8def" radius={[3, 3, 0, 0]} maxBarSize={24} isAnimationActive={false} />
                <Line yAxisId="credits" type="linear" dataKey="credits" name="Credits used" stroke="#c2410c" strokeWidth={2} dot={{ r: 2 }} isAnimationActive={false} />
              </ComposedChart>
            </ResponsiveContainer>
          </figure>
          {a.byOperation.length === 0 ? (
            <Empty>No usage in this period.</Empty>
          ) : (
            <div className="table-wrap">
              <table className="table">
                <caption className="visually-hidden">Usage by operation</caption>
                <thead>
                  <tr>
                    <th scope="col">Operation</th>
                    <th scope="col">Unit</th>
                    <th scope="col" className="num">
                      Count
                    </th>
                    <th scope="col" className="num">
                      Credits
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {a.byOperation.map((o) => (
                    <tr key={`${o.operation}/${o.unit}`}>
                      <td>{humanize(o.operation)}</td>
                      <td>{unitLabel(o.unit)}</td>
                      <td className="num">{o.operations.toLocaleString()}</td>
                      <td className="num">{formatCredits(o.credits)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
    </section>
  );
}

function describeDetails(d: Record<string, unknown> | null): string {
  if (!d) return '';
  return Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

export function AdminAudit() {
  const h = useId();
  const audit = useInfiniteQuery({
    queryKey: ['admin', 'audit'],
    queryFn: ({ pageParam, signal }) => get<Page<AuditEntry>>(`/api/admin/audit${qs({ limit: 50, cursor: pageParam })}`, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const items = audit.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="card" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Audit log</h2>
      </div>
      <ErrorMessage error={audit.error} />
      {audit.isPending ? <Loading /> : null}
      {audit.isSuccess && items.length === 0 ? <Empty>Nothing audited yet.</Empty> : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Date</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.id}>
                  <td className="nowrap">{formatDate(e.createdAt)}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td className="break">{e.actorId ? <Link to={`/admin/users/${encodeURIComponent(e.actorId)}`}>{e.actorId}</Link> : 'system'}</td>
                  <td className="break">
                    {e.targetType === 'user' && e.targetId ? (
                      <Link to={`/admin/users/${encodeURIComponent(e.targetId)}`}>user {e.targetId}</Link>
                    ) : (
                      [e.targetType, e.targetId].filter(Boolean).join(' ')
                    )}
                  </td>
                  <td className="details">{describeDetails(e.details)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {audit.hasNextPage ? (
        <div className="actions">
          <button type="button" className="button" onClick={() => void audit.fetchNextPage()} disabled={audit.isFetchingNextPage}>
            Load more
          </button>
        </div>
      ) : null}
    </section>
  );
}
