import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Shape } from '../../../contracts/types';
import { api } from '../../api/client';
import { Card } from '../../components/Card';
import { DataTable } from '../../components/DataTable';
import { CheckField } from '../../components/Field';
import { QueryStatus } from '../../components/QueryStatus';
import { formatCredits, humanize, unitLabel } from '../../lib/format';
import { keys } from '../../lib/query-keys';
import { ActiveBadge, inactiveRow } from './parts';
import { RuleDialog } from './RuleDialog';

const byRule = (a: Shape<'PricingRule'>, b: Shape<'PricingRule'>) =>
  a.operation.localeCompare(b.operation) || a.unit.localeCompare(b.unit) || b.version - a.version;

/** `/admin/pricing`: the active rules (and, on demand, their old versions), with "New rule" and "Edit" on each active one. */
export function AdminPricingPage() {
  const [editing, setEditing] = useState<Shape<'PricingRule'> | 'new' | null>(null);
  const [showOld, setShowOld] = useState(false);
  const rules = useQuery({
    queryKey: keys.admin.pricing,
    queryFn: ({ signal }) => api('GET /api/admin/pricing', { signal }),
  });
  const all = rules.data?.items ?? [];
  const items = (showOld ? all : all.filter((r) => r.active)).slice().sort(byRule);
  return (
    <Card
      title="Pricing rules"
      actions={
        <div className="card-actions">
          <CheckField label="Show old versions" checked={showOld} onChange={setShowOld} />
          <button type="button" className="button button-primary button-small" onClick={() => setEditing('new')}>
            New rule
          </button>
        </div>
      }
    >
      <QueryStatus query={rules} count={items.length} empty="No pricing rules." />
      <DataTable
        stack
        caption="Pricing rules"
        rows={items}
        rowClassName={inactiveRow}
        columns={[
          { header: 'Operation', cellClassName: 'stack-title', cell: (r) => humanize(r.operation) },
          { header: 'Unit', cell: (r) => unitLabel(r.unit) },
          { header: 'Credits', className: 'num', cell: (r) => formatCredits(r.credits) },
          { header: 'Description', cellClassName: 'stack-wide', cell: (r) => r.description },
          { header: 'Version', className: 'num', cell: (r) => r.version },
          { header: 'Status', cell: (r) => <ActiveBadge active={r.active} /> },
          {
            header: 'Actions',
            hideHeader: true,
            cellClassName: 'right stack-actions',
            cell: (r) =>
              r.active ? (
                <button
                  type="button"
                  className="button button-small"
                  onClick={() => setEditing(r)}
                  aria-label={`Edit ${humanize(r.operation)} ${unitLabel(r.unit)}`}
                >
                  Edit
                </button>
              ) : null,
          },
        ]}
      />
      {editing ? <RuleDialog rule={editing === 'new' ? null : editing} onClose={() => setEditing(null)} /> : null}
    </Card>
  );
}
