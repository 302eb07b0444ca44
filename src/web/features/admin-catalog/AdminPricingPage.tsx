import { useState } from 'react';
import type { Shape } from '../../../contracts/types';
import type { Column } from '../../components/DataTable';
import { CheckField } from '../../components/Field';
import { formatCredits, humanize, unitLabel } from '../../lib/format';
import { useList } from '../../lib/paged';
import { keys } from '../../lib/query-keys';
import { CatalogCard } from './CatalogCard';
import { RuleDialog } from './RuleDialog';

type Rule = Shape<'PricingRule'>;

const byRule = (a: Rule, b: Rule) => a.operation.localeCompare(b.operation) || a.unit.localeCompare(b.unit) || b.version - a.version;

const COLUMNS: readonly Column<Rule>[] = [
  { header: 'Operation', cellClassName: 'stack-title', cell: (r) => humanize(r.operation) },
  { header: 'Unit', cell: (r) => unitLabel(r.unit) },
  { header: 'Credits', className: 'num', cell: (r) => formatCredits(r.credits) },
  { header: 'Description', cellClassName: 'stack-wide', cell: (r) => r.description },
  { header: 'Version', className: 'num', cell: (r) => r.version },
];

/**
 * `/admin/pricing`: the current version of each rule (and, on demand, the old versions), with
 * "New rule" and "Edit" on each current one. A rule deactivated in its dialog stays listed,
 * inactive, so that "Edit" can make it active again (the API allows it while no other version is).
 */
export function AdminPricingPage() {
  const [showOld, setShowOld] = useState(false);
  const { list, items: all } = useList('GET /api/admin/pricing', keys.admin.pricing);
  // The current version: the active one, or the newest of a rule none of whose versions is active.
  const current = (r: Rule) =>
    r.active || !all.some((o) => o.operation === r.operation && o.unit === r.unit && o.id !== r.id && (o.active || o.version > r.version));
  return (
    <CatalogCard
      title="Pricing rules"
      filters={<CheckField label="Show old versions" checked={showOld} onChange={setShowOld} />}
      newLabel="New rule"
      query={list}
      rows={(showOld ? all : all.filter(current)).slice().sort(byRule)}
      empty="No pricing rules."
      columns={COLUMNS}
      // Old versions stay as they were: only the current version of a rule is edited (into a new version).
      editLabel={(r) => (current(r) ? `Edit ${humanize(r.operation)} ${unitLabel(r.unit)}` : null)}
      dialog={(rule, close) => <RuleDialog rule={rule} onClose={close} />}
    />
  );
}
