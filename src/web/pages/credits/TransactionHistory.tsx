import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { downloadFile, get, qs } from '../../api/client';
import type { Page, Transaction } from '../../api/types';
import { Empty, ErrorMessage, Loading } from '../../components/ui';
import { formatCredits, formatDate, formatSignedCredits, humanize } from '../../lib/format';

export const TRANSACTION_TYPES = [
  'purchase',
  'bonus',
  'signup_bonus',
  'auto_recharge',
  'adjustment',
  'usage',
  'reservation',
  'release',
  'refund',
  'dispute',
  'expiry',
] as const;

export function TransactionTable({ items, caption }: { items: Transaction[]; caption: string }) {
  return (
    <div className="table-wrap">
      <table className="table table-stack tx-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Date</th>
            <th scope="col">Type</th>
            <th scope="col">Description</th>
            <th scope="col" className="num">
              Amount
            </th>
            <th scope="col" className="num">
              Reserved
            </th>
            <th scope="col" className="num">
              Balance after
            </th>
          </tr>
        </thead>
        <tbody>
          {items.map((t) => (
            <tr key={t.id}>
              <td className="nowrap c-date" data-label="Date">{formatDate(t.createdAt)}</td>
              <td className="c-type" data-label="Type">
                <span className={`type type-${t.type}`}>{humanize(t.type)}</span>
              </td>
              <td className="desc c-desc" data-label="Description">{t.description ?? ''}</td>
              <td data-label="Amount" className={`num c-amount ${t.amount > 0 ? 'pos' : t.amount < 0 ? 'neg' : ''}`}>{formatSignedCredits(t.amount)}</td>
              <td className={`num muted c-reserved${t.reservedChange ? '' : ' c-none'}`} data-label="Reserved">{t.reservedChange ? formatSignedCredits(t.reservedChange) : '–'}</td>
              <td className="num c-after" data-label="Balance after">{formatCredits(t.balanceAfter)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function TransactionHistory() {
  const ids = { h: useId(), type: useId() };
  const [type, setType] = useState('');
  const tx = useInfiniteQuery({
    queryKey: ['transactions', type],
    queryFn: ({ pageParam, signal }) => get<Page<Transaction>>(`/api/credits/transactions${qs({ type, limit: 20, cursor: pageParam })}`, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const csv = useMutation({
    mutationFn: () => downloadFile(`/api/credits/transactions.csv${qs({ type })}`, `transactions-${new Date().toISOString().slice(0, 10)}.csv`),
  });
  const items = tx.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <section className="card" aria-labelledby={ids.h}>
      <div className="card-head">
        <h2 id={ids.h}>Transaction history</h2>
        <div className="card-actions">
          <div className="field field-inline">
            <label htmlFor={ids.type}>Type</label>
            <select id={ids.type} value={type} onChange={(e) => setType(e.target.value)}>
              <option value="">All types</option>
              {TRANSACTION_TYPES.map((t) => (
                <option key={t} value={t}>
                  {humanize(t)}
                </option>
              ))}
            </select>
          </div>
          <button type="button" className="button button-small" onClick={() => csv.mutate()} disabled={csv.isPending}>
            {csv.isPending ? 'Preparing…' : 'Download CSV'}
          </button>
        </div>
      </div>
      <ErrorMessage error={csv.error} />
      <ErrorMessage error={tx.error} />
      {tx.isPending ? <Loading label="Loading transactions…" /> : null}
      {tx.isSuccess && items.length === 0 ? <Empty>{type ? 'No transactions of this type yet.' : 'No transactions yet. Buy credits to get started.'}</Empty> : null}
      {items.length > 0 ? <TransactionTable items={items} caption="Transactions, newest first" /> : null}
      {tx.hasNextPage ? (
        <div className="actions">
          <button type="button" className="button" onClick={() => void tx.fetchNextPage()} disabled={tx.isFetchingNextPage}>
            {tx.isFetchingNextPage ? 'Loading…' : 'Load more'}
          </button>
        </div>
      ) : null}
    </section>
  );
}
