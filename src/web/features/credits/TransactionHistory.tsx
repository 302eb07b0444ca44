import { useId, useState } from 'react';
import { TRANSACTION_TYPES } from '../../../contracts/enums';
import type { Shape } from '../../../contracts/types';
import { CsvButton, todaysFile, useCsvDownload } from '../../components/CsvDownload';
import { FilterSelect } from '../../components/Field';
import { LoadMore } from '../../components/LoadMore';
import { TransactionTable } from '../../components/TransactionTable';
import { QueryStatus } from '../../components/QueryStatus';
import { ErrorMessage } from '../../components/ui';
import { humanize } from '../../lib/format';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';
import { BadRange } from '../../components/DateRangeFields';
import { localDaysQuery, startsAfterEnd } from '../../lib/date-range';

/**
 * The user's ledger rows, newest first, filtered by type and by days ("From" and "To", days of
 * the viewer's calendar, as the rows' times are, both inclusive; either may be left empty), with what each usage row paid for, "Load more"
 * and "Download CSV" (the same filters).
 */
export function TransactionHistory() {
  const h = useId();
  const ids = { from: useId(), to: useId() };
  const [type, setType] = useState<Shape<'Transaction'>['type'] | ''>('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const bad = startsAfterEnd({ from, to });
  // The days start and end in the viewer's time zone (the rows' times are local): sent as instants, `to` the next day's start.
  const filter = { ...(type ? { type } : {}), ...(bad ? {} : localDaysQuery(from, to)) };
  // Nothing is asked while the range is wrong (the list is hidden then).
  const { list: tx, items } = usePages(
    'GET /api/credits/transactions',
    keys.transactions.list(type, bad ? '' : from, bad ? '' : to),
    { ...filter, limit: 20 },
    { enabled: !bad },
  );
  const csv = useCsvDownload('GET /api/credits/transactions.csv', todaysFile('transactions'), { query: filter });
  return (
    <section className="card" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Transaction history</h2>
        <div className="card-actions">
          <FilterSelect label="Type" all="All types" options={TRANSACTION_TYPES} value={type} onChange={setType} words={humanize} />
          <div className="field field-inline">
            <label htmlFor={ids.from}>From</label>
            <input id={ids.from} type="date" value={from} max={to || undefined} onChange={(e) => setFrom(e.target.value)} />
          </div>
          <div className="field field-inline">
            <label htmlFor={ids.to}>To</label>
            <input id={ids.to} type="date" value={to} min={from || undefined} onChange={(e) => setTo(e.target.value)} />
          </div>
          <CsvButton csv={csv} disabled={bad} />
        </div>
      </div>
      <ErrorMessage error={csv.error} />
      {/* Not every transaction (the filter without its dates) under the message that the dates are wrong. */}
      {bad ? (
        <BadRange />
      ) : (
        <>
          <QueryStatus
            query={tx}
            count={items.length}
            loading="Loading transactions…"
            empty={
              from || to
                ? 'No transactions in these days.'
                : type
                  ? 'No transactions of this type yet.'
                  : 'No transactions yet. Buy credits to get started.'
            }
          />
          <TransactionTable items={items} caption="Transactions, newest first" />
          <LoadMore list={tx} />
        </>
      )}
    </section>
  );
}
