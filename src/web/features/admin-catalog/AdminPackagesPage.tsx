import type { Shape } from '../../../contracts/types';
import type { Column } from '../../components/DataTable';
import { Badge } from '../../components/ui';
import { formatCredits, formatMoney } from '../../lib/format';
import { useList } from '../../lib/paged';
import { keys } from '../../lib/query-keys';
import { CatalogCard } from './CatalogCard';
import { PackageDialog } from './PackageDialog';

type Package = Shape<'CreditPackage'>;

/** How long a package's credits and bonus last: "Never", or the days of each. */
function expiry(p: Package) {
  const d = (n: number | null) => (n === null ? 'never' : `${n} days`);
  if (p.creditsExpireInDays === null && p.bonusExpireInDays === null) return 'Never';
  return `Credits: ${d(p.creditsExpireInDays)}; bonus: ${d(p.bonusExpireInDays)}`;
}

const COLUMNS: readonly Column<Package>[] = [
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
];

/** `/admin/packages`: every package, inactive ones too, with "New package" and "Edit" on each. */
export function AdminPackagesPage() {
  const { list, items } = useList('GET /api/admin/packages', keys.admin.packages);
  return (
    <CatalogCard
      title="Credit packages"
      newLabel="New package"
      intro={<p className="muted">Packages are deactivated, never deleted, so past payments keep their package.</p>}
      query={list}
      rows={items}
      empty="No packages yet."
      columns={COLUMNS}
      editLabel={(p) => `Edit ${p.name}`}
      dialog={(pkg, close) => <PackageDialog pkg={pkg} onClose={close} />}
    />
  );
}
