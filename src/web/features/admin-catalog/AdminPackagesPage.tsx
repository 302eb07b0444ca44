import { useState } from 'react';
import type { Shape } from '../../../contracts/types';
import { SmallButton } from '../../components/Actions';
import { Card } from '../../components/Card';
import { QueryTable } from '../../components/QueryTable';
import { Badge } from '../../components/ui';
import { formatCredits, formatMoney } from '../../lib/format';
import { useList } from '../../lib/paged';
import { keys } from '../../lib/query-keys';
import { ActiveBadge, inactiveRow } from './parts';
import { PackageDialog } from './PackageDialog';

/** How long a package's credits and bonus last: "Never", or the days of each. */
function expiry(p: Shape<'CreditPackage'>) {
  const d = (n: number | null) => (n === null ? 'never' : `${n} days`);
  if (p.creditsExpireInDays === null && p.bonusExpireInDays === null) return 'Never';
  return `Credits: ${d(p.creditsExpireInDays)}; bonus: ${d(p.bonusExpireInDays)}`;
}

/** `/admin/packages`: every package, inactive ones too, with "New package" and "Edit" on each. */
export function AdminPackagesPage() {
  const [editing, setEditing] = useState<Shape<'CreditPackage'> | 'new' | null>(null);
  const { list: packages, items } = useList('GET /api/admin/packages', keys.admin.packages);
  return (
    <Card
      title="Credit packages"
      actions={
        <SmallButton tone="primary" onClick={() => setEditing('new')}>
          New package
        </SmallButton>
      }
    >
      <p className="muted">Packages are deactivated, never deleted, so past payments keep their package.</p>
      <QueryTable
        query={packages}
        empty="No packages yet."
        caption="Credit packages"
        rows={items}
        rowClassName={inactiveRow}
        columns={[
          {
            header: 'Name',
            cellClassName: 'stack-title',
            cell: (p) => (
              <>
                {p.name} {p.popular ? <Badge tone="accent">Popular</Badge> : null}
              </>
            ),
          },
          { header: 'Credits', className: 'num', cell: (p) => formatCredits(p.credits) },
          { header: 'Bonus', className: 'num', cell: (p) => formatCredits(p.bonusCredits) },
          { header: 'Price', className: 'num', cell: (p) => formatMoney(p.priceCents, p.currency) },
          { header: 'Expiry', cell: (p) => expiry(p) },
          { header: 'Status', cell: (p) => <ActiveBadge active={p.active} /> },
        ]}
        actions={(p) => (
          <SmallButton onClick={() => setEditing(p)} label={`Edit ${p.name}`}>
            Edit
          </SmallButton>
        )}
      />
      {editing ? <PackageDialog pkg={editing === 'new' ? null : editing} onClose={() => setEditing(null)} /> : null}
    </Card>
  );
}
