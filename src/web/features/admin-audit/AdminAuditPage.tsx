import { useId } from 'react';
import { Link } from 'react-router';
import type { Shape } from '../../../contracts/types';
import { DataTable } from '../../components/DataTable';
import { LoadMore } from '../../components/LoadMore';
import { QueryStatus } from '../../components/QueryStatus';
import { formatDate } from '../../lib/format';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';

function describeDetails(d: Shape<'AuditEntry'>['details']): string {
  if (!d) return '';
  return Object.entries(d)
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

const userLink = (id: string, text: string) => <Link to={`/admin/users/${encodeURIComponent(id)}`}>{text}</Link>;

/** `/admin/audit`: who did what to which target, newest first. */
export function AdminAuditPage() {
  const h = useId();
  const { list: audit, items } = usePages('GET /api/admin/audit', keys.admin.audit, { limit: 50 });
  return (
    <section className="card" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Audit log</h2>
      </div>
      <QueryStatus query={audit} count={items.length} empty="Nothing audited yet." />
      <DataTable
        rows={items}
        columns={[
          { header: 'Date', cellClassName: 'nowrap', cell: (e) => formatDate(e.createdAt) },
          { header: 'Action', cell: (e) => <code>{e.action}</code> },
          { header: 'Actor', cellClassName: 'break', cell: (e) => (e.actorId ? userLink(e.actorId, e.actorId) : 'system') },
          {
            header: 'Target',
            cellClassName: 'break',
            cell: (e) =>
              e.targetType === 'user' && e.targetId
                ? userLink(e.targetId, `user ${e.targetId}`)
                : [e.targetType, e.targetId].filter(Boolean).join(' '),
          },
          { header: 'Details', cellClassName: 'details', cell: (e) => describeDetails(e.details) },
        ]}
      />
      <LoadMore list={audit} />
    </section>
  );
}
