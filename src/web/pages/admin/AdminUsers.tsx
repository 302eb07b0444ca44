import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { Link, useParams } from 'react-router';
import { get, patch, postMoney, qs } from '../../api/client';
import type { AdminUser, AdminUserDetail, Page, Role } from '../../api/types';
import { useAuth } from '../../auth';
import { Dialog, focusOnMount } from '../../components/Dialog';
import { Field, fieldErrors } from '../../components/Field';
import { Badge, Empty, ErrorMessage, Loading, Stat, Success, statusTone } from '../../components/ui';
import { formatCredits, formatDate, formatMoney, humanize } from '../../lib/format';
import { TransactionTable } from '../credits/TransactionHistory';

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function AdminUsers() {
  const ids = { h: useId(), s: useId() };
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 250);
  const users = useInfiniteQuery({
    queryKey: ['admin', 'users', q],
    queryFn: ({ pageParam, signal }) => get<Page<AdminUser>>(`/api/admin/users${qs({ search: q, limit: 25, cursor: pageParam })}`, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: (prev) => prev,
  });
  const items = users.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="card" aria-labelledby={ids.h}>
      <div className="card-head">
        <h2 id={ids.h}>Users</h2>
        <div className="field field-inline">
          <label htmlFor={ids.s}>Search</label>
          <input id={ids.s} type="search" placeholder="Name or email" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
      </div>
      <ErrorMessage error={users.error} />
      {users.isPending ? <Loading label="Loading users…" /> : null}
      {users.isSuccess && items.length === 0 ? <Empty>No users match “{q}”.</Empty> : null}
      {items.length > 0 ? (
        <div className="table-wrap">
          <table className="table table-stack">
            <caption className="visually-hidden">Users with their balances</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col" className="num">
                  Balance
                </th>
                <th scope="col" className="num">
                  Available
                </th>
                <th scope="col" className="num">
                  Purchased
                </th>
                <th scope="col" className="num">
                  Used
                </th>
                <th scope="col">Joined</th>
              </tr>
            </thead>
            <tbody>
              {items.map((u) => (
                <tr key={u.id}>
                  <td data-label="Name" className="stack-title">
                    <Link to={`/admin/users/${encodeURIComponent(u.id)}`}>{u.name || u.email}</Link>
                  </td>
                  <td data-label="Email" className="break stack-wide">
                    {u.email}
                  </td>
                  <td data-label="Role">{u.role === 'user' ? 'User' : <Badge tone="accent">{humanize(u.role)}</Badge>}</td>
                  <td data-label="Balance" className="num">
                    {formatCredits(u.balance)}
                  </td>
                  <td data-label="Available" className={`num${u.available < 0 ? ' neg' : ''}`}>
                    {formatCredits(u.available)}
                  </td>
                  <td data-label="Purchased" className="num">
                    {formatCredits(u.lifetimePurchased)}
                  </td>
                  <td data-label="Used" className="num">
                    {formatCredits(u.lifetimeUsed)}
                  </td>
                  <td data-label="Joined" className="nowrap">
                    {formatDate(u.createdAt)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {users.hasNextPage ? (
        <div className="actions">
          <button type="button" className="button" onClick={() => void users.fetchNextPage()} disabled={users.isFetchingNextPage}>
            Load more
          </button>
        </div>
      ) : null}
    </section>
  );
}

function AdjustDialog({ user, onClose }: { user: AdminUser; onClose(): void }) {
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const [touched, setTouched] = useState(false);
  const queryClient = useQueryClient();
  const adjust = useMutation({
    mutationFn: () => postMoney<{ balance: { balance: number; available: number } }>(`/api/admin/users/${encodeURIComponent(user.id)}/adjustments`, { amount: Number(amount), reason: reason.trim() }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['admin'] });
    },
  });
  const amountNum = Number(amount);
  const server = fieldErrors(adjust.error);
  const amountError = touched && (amount.trim() === '' || !Number.isFinite(amountNum) || amountNum === 0) ? 'Enter a non-zero amount; negative to debit.' : (server.amount ?? null);
  const reasonError = touched && reason.trim() === '' ? 'A reason is required.' : (server.reason ?? null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setTouched(true);
    if (amount.trim() === '' || !Number.isFinite(amountNum) || amountNum === 0 || reason.trim() === '') return;
    adjust.mutate();
  };
  return (
    <Dialog title="Adjust credits" onClose={onClose} description={`${user.name} <${user.email}> has ${formatCredits(user.available)} credits available.`}>
      {adjust.data ? (
        <div className="stack">
          <Success>
            Adjustment applied. {user.name} now has {formatCredits(adjust.data.balance.available)} credits available.
          </Success>
          <div className="actions">
            <button type="button" className="button button-primary" onClick={onClose} ref={focusOnMount}>
              Close
            </button>
          </div>
        </div>
      ) : (
        <form className="stack" onSubmit={submit} noValidate>
          <Field
            label="Amount (credits)"
            type="number"
            step="0.001"
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            hint={amountError ? undefined : 'Positive to grant, negative to take credits away.'}
            error={amountError}
            data-autofocus
          />
          <Field label="Reason" required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} error={reasonError} />
          <ErrorMessage error={adjust.error} inline={['amount', 'reason']} />
          <div className="actions">
            <button type="button" className="button button-ghost" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button button-primary" disabled={adjust.isPending}>
              {adjust.isPending ? 'Applying…' : 'Apply adjustment'}
            </button>
          </div>
        </form>
      )}
    </Dialog>
  );
}

function RoleForm({ user }: { user: AdminUser }) {
  const id = useId();
  const { user: me } = useAuth();
  const [role, setRole] = useState<Role>(user.role);
  const queryClient = useQueryClient();
  useEffect(() => setRole(user.role), [user.role]);
  const save = useMutation({
    mutationFn: () => patch(`/api/admin/users/${encodeURIComponent(user.id)}`, { role }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['admin'] }),
  });
  const superAdmin = me?.role === 'super_admin';
  return (
    <form
      className="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <div className="field field-inline">
        <label htmlFor={id}>Role</label>
        <select id={id} value={role} onChange={(e) => setRole(e.target.value as Role)} disabled={!superAdmin && user.role !== 'user'}>
          <option value="user">User</option>
          <option value="admin" disabled={!superAdmin}>
            Admin
          </option>
          <option value="super_admin" disabled={!superAdmin}>
            Super admin
          </option>
        </select>
      </div>
      <button type="submit" className="button button-small" disabled={role === user.role || save.isPending}>
        Save role
      </button>
      <ErrorMessage error={save.error} />
    </form>
  );
}

export function AdminUserDetailPage() {
  const { id = '' } = useParams();
  const [adjusting, setAdjusting] = useState(false);
  const detail = useQuery({
    queryKey: ['admin', 'user', id],
    queryFn: ({ signal }) => get<AdminUserDetail>(`/api/admin/users/${encodeURIComponent(id)}`, signal),
  });
  const d = detail.data;
  return (
    <div className="stack-lg">
      <p>
        <Link to="/admin/users">← All users</Link>
      </p>
      <ErrorMessage error={detail.error} />
      {detail.isPending ? <Loading label="Loading user…" /> : null}
      {d ? (
        <>
          <section className="card" aria-labelledby="user-h">
            <div className="card-head">
              <div>
                <h2 id="user-h">{d.user.name}</h2>
                <p className="muted break">
                  {d.user.email} · joined {formatDate(d.user.createdAt)}
                </p>
              </div>
              <button type="button" className="button button-primary" onClick={() => setAdjusting(true)}>
                Adjust credits
              </button>
            </div>
            <dl className="stats">
              <Stat label="Available" value={formatCredits(d.user.available)} />
              <Stat label="Balance" value={formatCredits(d.user.balance)} />
              <Stat label="Lifetime purchased" value={formatCredits(d.user.lifetimePurchased)} />
              <Stat label="Lifetime used" value={formatCredits(d.user.lifetimeUsed)} />
            </dl>
            <RoleForm user={d.user} />
          </section>
          <section className="card" aria-labelledby="user-tx-h">
            <h2 id="user-tx-h">Recent transactions</h2>
            {d.transactions.length === 0 ? <Empty>No transactions.</Empty> : <TransactionTable items={d.transactions} caption="Recent transactions of this user" />}
          </section>
          <section className="card" aria-labelledby="user-pay-h">
            <h2 id="user-pay-h">Payments</h2>
            {d.payments.length === 0 ? (
              <Empty>No payments.</Empty>
            ) : (
              <div className="table-wrap">
                <table className="table">
                  <thead>
                    <tr>
                      <th scope="col">Date</th>
                      <th scope="col">Status</th>
                      <th scope="col">Provider</th>
                      <th scope="col" className="num">
                        Amount
                      </th>
                      <th scope="col" className="num">
                        Credits
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.payments.map((p) => (
                      <tr key={p.id}>
                        <td className="nowrap">{formatDate(p.createdAt)}</td>
                        <td>
                          <Badge tone={statusTone(p.status)}>{humanize(p.status)}</Badge>
                        </td>
                        <td>{humanize(p.provider)}</td>
                        <td className="num">{formatMoney(p.amountCents, p.currency)}</td>
                        <td className="num">{formatCredits(p.credits)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
          {adjusting ? <AdjustDialog user={d.user} onClose={() => setAdjusting(false)} /> : null}
        </>
      ) : null}
    </div>
  );
}
