import type { Column } from '../../components/DataTable';
import { PagedCard } from '../../components/QueryTable';
import type { ItemOf } from '../../lib/paged';
import { formatDate } from '../../lib/format';
import { describeEntry, entryNotes } from './describe';

const COLUMNS: readonly Column<ItemOf<'GET /api/admin/audit'>>[] = [
  { header: 'Date', cellClassName: 'nowrap stack-muted', cell: (e) => formatDate(e.createdAt) },
  { header: 'What happened', cellClassName: 'stack-title stack-text', cell: (e) => describeEntry(e) },
  { header: 'Details', cellClassName: 'details stack-wide', cell: (e) => entryNotes(e) },
];

/** `/admin/audit`: who did what to whom, in words ("root@example.com refunded $45.00 to dana@example.com"), newest first. */
export function AdminAuditPage() {
  return (
    <PagedCard
      title="Audit log"
      endpoint="GET /api/admin/audit"
      query={{ limit: 50 }}
      empty="Nothing audited yet."
      className="audit-table"
      columns={COLUMNS}
    />
  );
}
