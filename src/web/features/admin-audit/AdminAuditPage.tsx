import { Card } from '../../components/Card';
import { PagedTable } from '../../components/QueryTable';
import { formatDate } from '../../lib/format';
import { keys } from '../../lib/query-keys';
import { describeEntry, entryNotes } from './describe';

/** `/admin/audit`: who did what to whom, in words ("root@example.com refunded $45.00 to dana@example.com"), newest first. */
export function AdminAuditPage() {
  return (
    <Card title="Audit log">
      <PagedTable
        endpoint="GET /api/admin/audit"
        queryKey={keys.admin.audit}
        query={{ limit: 50 }}
        empty="Nothing audited yet."
        className="audit-table"
        caption="Audit log"
        columns={[
          { header: 'Date', cellClassName: 'nowrap stack-muted', cell: (e) => formatDate(e.createdAt) },
          { header: 'What happened', cellClassName: 'stack-title stack-text', cell: (e) => describeEntry(e) },
          { header: 'Details', cellClassName: 'details stack-wide', cell: (e) => entryNotes(e) },
        ]}
      />
    </Card>
  );
}
