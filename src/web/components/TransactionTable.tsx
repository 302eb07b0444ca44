import type { Shape } from '../../contracts/types';
import { formatCredits, formatDate, formatSignedCredits, humanize } from '../lib/format';
import { DataTable } from './DataTable';
import { TransactionDetails } from './TransactionDetails';

/** Ledger rows: on phones each row is a card (type and amount, description, date and balance after). */
export function TransactionTable({ items, caption }: { items: readonly Shape<'Transaction'>[]; caption: string }) {
  return (
    <DataTable
      caption={caption}
      stack
      className="tx-table"
      rows={items}
      columns={[
        { header: 'Date', cellClassName: 'nowrap c-date', cell: (t) => formatDate(t.createdAt) },
        { header: 'Type', cellClassName: 'c-type', cell: (t) => <span className={`type type-${t.type}`}>{humanize(t.type)}</span> },
        { header: 'Description', cellClassName: 'desc c-desc', cell: (t) => t.description },
        { header: 'Details', cellClassName: 'c-details', cell: (t) => <TransactionDetails metadata={t.metadata} /> },
        {
          header: 'Amount',
          className: 'num',
          cellClassName: (t) => `c-amount ${t.amount > 0 ? 'pos' : t.amount < 0 ? 'neg' : ''}`,
          cell: (t) => formatSignedCredits(t.amount),
        },
        {
          header: 'Reserved',
          className: 'num',
          cellClassName: (t) => `muted c-reserved${t.reservedChange ? '' : ' c-none'}`,
          cell: (t) => (t.reservedChange ? formatSignedCredits(t.reservedChange) : '–'),
        },
        { header: 'Balance after', className: 'num', cellClassName: 'c-after', cell: (t) => formatCredits(t.balanceAfter) },
      ]}
    />
  );
}
