import { Card } from '../../components/Card';
import { DataTable } from '../../components/DataTable';
import { LoadMore } from '../../components/LoadMore';
import { QueryStatus } from '../../components/QueryStatus';
import { formatDate } from '../../lib/format';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';
import { describeEntry, entryNotes } from './describe';

/** `/admin/audit`: who did what to whom, in words ("root@example.com refunded $45.00 to dana@example.com"), newest first. */
export function AdminAuditPage() {
  const { list: audit, items } = usePages('GET /api/admin/audit', keys.admin.audit, { limit: 50 });
  return (
    <Card title="Audit log">
      <QueryStatus query={audit} count={items.length} empty="Nothing audited yet." />
      <DataTable
        rows={items}
        stack
        className="audit-table"
        caption="Audit log"
        columns={[
          { header: 'Date', cellClassName: 'nowrap stack-muted', cell: (e) => formatDate(e.createdAt) },
          { header: 'What happened', cellClassName: 'stack-title stack-text', cell: (e) => describeEntry(e) },
          { header: 'Details', cellClassName: 'details stack-wide', cell: (e) => entryNotes(e) },
        ]}
      />
      <LoadMore list={audit} />
    </Card>
  );
}
