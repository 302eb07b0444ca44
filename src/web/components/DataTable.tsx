import type { ReactNode } from 'react';

export interface Column<T> {
  /** The header, and the cell's label in the card layout on phones. */
  header: string;
  /** Read by screen readers only (a column of buttons). */
  hideHeader?: boolean;
  cell(row: T): ReactNode;
  /** Classes of the header and the cells (`num` aligns numbers to the right). */
  className?: string;
  /** Classes of the cells only. */
  cellClassName?: string | ((row: T) => string);
}

const byId = (row: unknown) => String((row as { id: string }).id);

/**
 * A table of rows by columns (nothing when there are no rows), keyed by `rowKey` (the
 * rows' `id` by default). `stack` turns each row into a card of labelled cells below
 * 640 px (the users and the history); other tables scroll sideways there.
 */
export function DataTable<T>({
  rows,
  columns,
  rowKey = byId,
  caption,
  stack,
  className,
  rowClassName,
}: {
  rows: readonly T[];
  columns: readonly Column<NoInfer<T>>[];
  rowKey?(row: NoInfer<T>): string;
  /** Names the table for screen readers. */
  caption?: string;
  stack?: boolean;
  className?: string;
  rowClassName?(row: NoInfer<T>): string;
}) {
  if (rows.length === 0) return null;
  const tableClass = ['table', stack ? 'table-stack' : '', className ?? ''].filter(Boolean).join(' ');
  return (
    <div className="table-wrap">
      <table className={tableClass}>
        {caption ? <caption className="visually-hidden">{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.header} scope="col" className={c.className}>
                {c.hideHeader ? <span className="visually-hidden">{c.header}</span> : c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={rowKey(row)} className={rowClassName?.(row)}>
              {columns.map((c) => {
                const own = typeof c.cellClassName === 'function' ? c.cellClassName(row) : c.cellClassName;
                const cls = [c.className, own].filter(Boolean).join(' ') || undefined;
                return (
                  <td key={c.header} className={cls} data-label={stack ? c.header : undefined}>
                    {c.cell(row)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
