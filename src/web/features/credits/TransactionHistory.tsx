import { useMutation } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { TRANSACTION_TYPES } from '../../../contracts/enums';
import type { Shape } from '../../../contracts/types';
import { downloadFile } from '../../api/client';
import { FilterSelect } from '../../components/Field';
import { LoadMore } from '../../components/LoadMore';
import { TransactionTable } from '../../components/TransactionTable';
import { QueryStatus } from '../../components/QueryStatus';
import { ErrorMessage } from '../../components/ui';
import { humanize } from '../../lib/format';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';

/** The user's ledger rows, newest first, filtered by type, with "Load more" and "Download CSV". */
export function TransactionHistory() {
  const h = useId();
  const [type, setType] = useState<Shape<'Transaction'>['type'] | ''>('');
  const filter = type ? { type } : {};
  const { list: tx, items } = usePages('GET /api/credits/transactions', keys.transactions.list(type), { ...filter, limit: 20 });
  const csv = useMutation({
    mutationFn: () =>
      downloadFile('GET /api/credits/transactions.csv', `transactions-${new Date().toISOString().slice(0, 10)}.csv`, { query: filter }),
  });
  return (
    <section className="card" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Transaction history</h2>
        <div className="card-actions">
          <FilterSelect label="Type" all="All types" options={TRANSACTION_TYPES} value={type} onChange={setType} words={humanize} />
          <button type="button" className="button button-small" onClick={() => csv.mutate()} disabled={csv.isPending}>
            {csv.isPending ? 'Preparing…' : 'Download CSV'}
          </button>
        </div>
      </div>
      <ErrorMessage error={csv.error} />
      <QueryStatus
        query={tx}
        count={items.length}
        loading="Loading transactions…"
        empty={type ? 'No transactions of this type yet.' : 'No transactions yet. Buy credits to get started.'}
      />
      <TransactionTable items={items} caption="Transactions, newest first" />
      <LoadMore list={tx} />
    </section>
  );
}
