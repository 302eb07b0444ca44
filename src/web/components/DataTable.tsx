import { type ReactNode, useEffect, useRef, useState } from 'react';
import { Empty } from './ui';

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
 * Whether the element is wider inside than it shows (a table that must scroll sideways),
 * kept up to date as it or its content resizes.
 */
function useOverflowing<E extends HTMLElement>(present: boolean) {
  const ref = useRef<E>(null);
  const [overflowing, setOverflowing] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!present || !el || typeof ResizeObserver === 'undefined') return;
    const check = () => setOverflowing(el.scrollWidth > el.clientWidth + 1);
    const ro = new ResizeObserver(check);
    ro.observe(el);
    if (el.firstElementChild) ro.observe(el.firstElementChild);
    check();
    return () => ro.disconnect();
  }, [present]);
  return { ref, overflowing };
}

/**
 * A table of rows by columns (when there are no rows, `empty` if given, else nothing), keyed by `rowKey` (the
 * rows' `id` by default). `stack` turns each row into a card of labelled cells below
 * 640 px (every admin table, the history); a table wider than the screen (one that does not
 * stack, or one that does on a screen wide enough for a table) scrolls sideways and shows it: shadows at the hidden edges, a visible
 * scrollbar and a line saying so; the scrolling region can then be focused and scrolled
 * with the keyboard.
 */
export interface DataTableProps<T> {
  rows: readonly T[];
  columns: readonly Column<NoInfer<T>>[];
  rowKey?(row: NoInfer<T>): string;
  /** Names the table for screen readers. */
  caption?: string;
  stack?: boolean;
  className?: string;
  rowClassName?(row: NoInfer<T>): string;
  /** Said instead of the table when there are no rows (for rows already loaded; a query's list says it through QueryStatus). */
  empty?: ReactNode;
  /**
   * The buttons acting on a row, in a last column "Actions" whose header only screen readers
   * read, right-aligned (on phones, a row of their own at the card's foot).
   */
  actions?(row: NoInfer<T>): ReactNode;
  /** The classes of the actions' cells, when not `right stack-actions`. */
  actionsClassName?: string;
}

export function DataTable<T>({
  rows,
  columns: own,
  rowKey = byId,
  caption,
  stack,
  className,
  rowClassName,
  empty,
  actions,
  actionsClassName = 'right stack-actions',
}: DataTableProps<T>) {
  const columns: readonly Column<T>[] = actions
    ? [...own, { header: 'Actions', hideHeader: true, cellClassName: actionsClassName, cell: actions }]
    : own;
  const { ref, overflowing } = useOverflowing<HTMLDivElement>(rows.length > 0);
  if (rows.length === 0) return empty === undefined ? null : <Empty>{empty}</Empty>;
  const tableClass = ['table', stack ? 'table-stack' : '', className ?? ''].filter(Boolean).join(' ');
  // A stacking table is a table above 640 px: there it may be wider than the screen too (below,
  // its cards do not scroll sideways, whatever a cell's overflow says).
  const scrolls = overflowing && (!stack || typeof window === 'undefined' || window.matchMedia('(min-width: 641px)').matches);
  return (
    <>
      {scrolls ? (
        <p className="table-hint" aria-hidden="true">
          Scroll sideways to see every column →
        </p>
      ) : null}
      <div
        ref={ref}
        className={scrolls ? 'table-wrap table-scrolls' : 'table-wrap'}
        {...(scrolls ? { tabIndex: 0, role: 'region', 'aria-label': `${caption ?? 'Table'}, scrolls sideways` } : {})}
      >
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
                  const content = c.cell(row);
                  return (
                    <td key={c.header} className={cls} data-label={stack && !c.hideHeader ? c.header : undefined}>
                      {content === '' ? null : content}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
