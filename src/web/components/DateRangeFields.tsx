import { type ReactNode, useId } from 'react';
import type { DayRange } from '../lib/date-range';
import { LoadError, type Retriable } from './QueryStatus';
import { Loading } from './ui';

/** "From" and "To" date fields of a report (each bounded by the other), then any other fields of its toolbar. */
export function DateRangeFields({ range, onChange, children }: { range: DayRange; onChange(r: DayRange): void; children?: ReactNode }) {
  const ids = { from: useId(), to: useId() };
  return (
    <fieldset className="toolbar">
      <legend className="visually-hidden">Date range</legend>
      <div className="field field-inline">
        <label htmlFor={ids.from}>From</label>
        <input id={ids.from} type="date" value={range.from} max={range.to} onChange={(e) => onChange({ ...range, from: e.target.value })} />
      </div>
      <div className="field field-inline">
        <label htmlFor={ids.to}>To</label>
        <input id={ids.to} type="date" value={range.to} min={range.from} onChange={(e) => onChange({ ...range, to: e.target.value })} />
      </div>
      {children}
    </fieldset>
  );
}

/** What a range that starts after it ends (or `children`, another problem of it) says, in place of what it would filter. */
export function BadRange({ children = 'The start date must not be after the end date.' }: { children?: string }) {
  return <p className="notice notice-error">{children}</p>;
}

/** What a report over a range says instead of itself: the range starts after it ends, the report failed (with "Retry"), or it loads. */
export function ReportStatus({
  bad,
  problem,
  query,
  loading,
}: {
  bad: boolean;
  /** What is wrong with the range, in words (`useDayRange`'s `problem`). */
  problem?: string | null;
  query: Retriable & { isPending: boolean };
  loading: string;
}) {
  return (
    <>
      {bad ? <BadRange>{problem ?? undefined}</BadRange> : null}
      <LoadError query={query} />
      {query.isPending && !query.error && !bad ? <Loading label={loading} /> : null}
    </>
  );
}
