import { useState } from 'react';
import type { Shape } from '../../../contracts/types';
import { SmallButton } from '../../components/Actions';
import { Card } from '../../components/Card';
import { CheckField } from '../../components/Field';
import { QueryTable } from '../../components/QueryTable';
import { formatCredits, humanize, unitLabel } from '../../lib/format';
import { useList } from '../../lib/paged';
import { keys } from '../../lib/query-keys';
import { ActiveBadge, inactiveRow } from './parts';
import { RuleDialog } from './RuleDialog';

const byRule = (a: Shape<'PricingRule'>, b: Shape<'PricingRule'>) =>
  a.operation.localeCompare(b.operation) || a.unit.localeCompare(b.unit) || b.version - a.version;

/** `/admin/pricing`: the active rules (and, on demand, their old versions), with "New rule" and "Edit" on each active one. */
export function AdminPricingPage() {
  const [editing, setEditing] = useState<Shape<'PricingRule'> | 'new' | null>(null);
  const [showOld, setShowOld] = useState(false);
  const { list: rules, items: all } = useList('GET /api/admin/pricing', keys.admin.pricing);
  const items = (showOld ? all : all.filter((r) => r.active)).slice().sort(byRule);
  return (
    <Card
      title="Pricing rules"
      actions={
        <div className="card-actions">
          <CheckField label="Show old versions" checked={showOld} onChange={setShowOld} />
          <SmallButton tone="primary" onClick={() => setEditing('new')}>
            New rule
          </SmallButton>
        </div>
      }
    >
      <QueryTable
        query={rules}
        empty="No pricing rules."
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
        ]}
        actions={(r) =>
          r.active ? (
            <SmallButton onClick={() => setEditing(r)} label={`Edit ${humanize(r.operation)} ${unitLabel(r.unit)}`}>
              Edit
            </SmallButton>
          ) : null
        }
      />
      {editing ? <RuleDialog rule={editing === 'new' ? null : editing} onClose={() => setEditing(null)} /> : null}
    </Card>
  );
}
