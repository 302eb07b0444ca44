import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Shape } from '../../../contracts/types';
import { api } from '../../api/client';
import { Card } from '../../components/Card';
import { DataTable } from '../../components/DataTable';
import { QueryStatus } from '../../components/QueryStatus';
import { Badge } from '../../components/ui';
import { formatCredits, formatMoney } from '../../lib/format';
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
  const packages = useQuery({
    queryKey: keys.admin.packages,
    queryFn: ({ signal }) => api('GET /api/admin/packages', { signal }),
  });
  const items = packages.data?.items ?? [];
  return (
    <Card
      title="Credit packages"
      actions={
        <button type="button" className="button button-primary button-small" onClick={() => setEditing('new')}>
          New package
        </button>
      }
    >
      <p className="muted">Packages are deactivated, never deleted, so past payments keep their package.</p>
      <QueryStatus query={packages} count={items.length} empty="No packages yet." />
      <DataTable
        stack
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
          {
            header: 'Actions',
            hideHeader: true,
            cellClassName: 'right stack-actions',
            cell: (p) => (
              <button type="button" className="button button-small" onClick={() => setEditing(p)} aria-label={`Edit ${p.name}`}>
                Edit
              </button>
            ),
          },
        ]}
      />
      {editing ? <PackageDialog pkg={editing === 'new' ? null : editing} onClose={() => setEditing(null)} /> : null}
    </Card>
  );
}
