import { type ReactNode, useState } from 'react';
import { SmallButton } from '../../components/Actions';
import { Card } from '../../components/Card';
import type { Column } from '../../components/DataTable';
import { QueryTable } from '../../components/QueryTable';
import { Badge } from '../../components/ui';

type Row = { id: string; active: boolean };

/** The last column of both lists: whether the package or rule version is active. */
const STATUS: Column<Row> = {
  header: 'Status',
  cell: (r) => (r.active ? <Badge tone="ok">Active</Badge> : <Badge>Inactive</Badge>),
};

/** Inactive packages and rule versions are greyed out. */
const inactiveRow = (row: Row) => (row.active ? '' : 'row-inactive');

/**
 * A list of the catalogue (the packages, the pricing rules) as a card named `title` (its
 * table too): `filters` and the "New …" button (`newLabel`) beside the title, `intro` under
 * it, then the rows with a "Status" column, inactive ones greyed out, and "Edit" on each row
 * `editLabel` names (its accessible name; `null`: not editable). `dialog` is the dialog that
 * makes a new one (given `null`) or edits a row, open while `close` has not been called.
 */
export function CatalogCard<T extends Row>({
  title,
  newLabel,
  filters,
  intro,
  query,
  rows,
  empty,
  columns,
  editLabel,
  dialog,
}: {
  title: string;
  newLabel: string;
  filters?: ReactNode;
  intro?: ReactNode;
  query: Parameters<typeof QueryTable<T>>[0]['query'];
  rows: readonly T[];
  empty: string;
  columns: readonly Column<T>[];
  editLabel(row: T): string | null;
  dialog(row: T | null, close: () => void): ReactNode;
}) {
  const [editing, setEditing] = useState<T | 'new' | null>(null);
  const create = (
    <SmallButton tone="primary" onClick={() => setEditing('new')}>
      {newLabel}
    </SmallButton>
  );
  return (
    <Card
      title={title}
      actions={
        filters ? (
          <div className="card-actions">
            {filters}
            {create}
          </div>
        ) : (
          create
        )
      }
    >
      {intro}
      <QueryTable
        query={query}
        empty={empty}
        caption={title}
        rows={rows}
        rowClassName={inactiveRow}
        columns={[...columns, STATUS]}
        actions={(row) => {
          const label = editLabel(row);
          return label === null ? null : (
            <SmallButton onClick={() => setEditing(row)} label={label}>
              Edit
            </SmallButton>
          );
        }}
      />
      {editing ? dialog(editing === 'new' ? null : editing, () => setEditing(null)) : null}
    </Card>
  );
}
