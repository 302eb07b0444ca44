import type { Shape } from '../../contracts/types';
import { formatCredits, formatDate, formatMoney, humanize } from '../lib/format';
import type { Column } from './DataTable';
import { Badge, statusTone } from './ui';

/** The columns every table of payments shows (an admin's list adds its own). */
export const paymentColumns = {
  date: { header: 'Date', cellClassName: 'nowrap', cell: (p) => formatDate(p.createdAt) },
  status: { header: 'Status', cell: (p) => <Badge tone={statusTone(p.status)}>{humanize(p.status)}</Badge> },
  provider: { header: 'Provider', cell: (p) => humanize(p.provider) },
  amount: { header: 'Amount', className: 'num', cell: (p) => formatMoney(p.amountCents, p.currency) },
  credits: { header: 'Credits', className: 'num', cell: (p) => formatCredits(p.credits) },
} satisfies Record<string, Column<Shape<'Payment'>>>;
