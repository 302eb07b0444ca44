import { formatCredits, humanize, unitLabel } from '../lib/format';
import { DataTable } from './DataTable';

interface OperationRow {
  operation: string;
  unit: string;
  credits: number;
  operations: number;
}

/** Usage by operation and unit: count, credits and a bar of each one's share of the largest. */
export function ByOperationTable({ rows }: { rows: readonly OperationRow[] }) {
  const max = Math.max(0, ...rows.map((o) => o.credits));
  return (
    <DataTable
      caption="Usage by operation"
      rows={rows}
      rowKey={(o) => `${o.operation}/${o.unit}`}
      columns={[
        {
          header: 'Operation',
          cell: (o) => (
            <>
              {humanize(o.operation)} <span className="muted small nowrap">{unitLabel(o.unit)}</span>
            </>
          ),
        },
        { header: 'Count', className: 'num', cell: (o) => o.operations.toLocaleString() },
        { header: 'Credits', className: 'num', cell: (o) => formatCredits(o.credits) },
        {
          header: 'Share',
          hideHeader: true,
          className: 'bar-col',
          cell: (o) => (
            <span aria-hidden="true" className="share-bar" style={{ width: `${max > 0 ? Math.max(2, (o.credits / max) * 100) : 0}%` }} />
          ),
        },
      ]}
    />
  );
}
