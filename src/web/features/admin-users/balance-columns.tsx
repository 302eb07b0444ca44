import type { Column } from '../../components/DataTable';
import { formatCredits } from '../../lib/format';

interface Balances {
  balance: number;
  available: number;
  lifetimePurchased: number;
  lifetimeUsed: number;
}

const columns = {
  balance: { header: 'Balance', className: 'num', cell: (a) => formatCredits(a.balance) },
  available: {
    header: 'Available',
    className: 'num',
    cellClassName: (a) => (a.available < 0 ? 'neg' : ''),
    cell: (a) => formatCredits(a.available),
  },
  purchased: { header: 'Purchased', className: 'num', cell: (a) => formatCredits(a.lifetimePurchased) },
  used: { header: 'Used', className: 'num', cell: (a) => formatCredits(a.lifetimeUsed) },
} satisfies Record<string, Column<Balances>>;

/**
 * The credit columns of an admin list of accounts (users, organisations): balance, available
 * (marked below zero), purchased (when `purchased`) and used, all time.
 */
export function balanceColumns({ purchased }: { purchased: boolean }): Column<Balances>[] {
  return purchased
    ? [columns.balance, columns.available, columns.purchased, columns.used]
    : [columns.balance, columns.available, columns.used];
}
