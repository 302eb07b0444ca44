import { Badge } from '../../components/ui';

/** Inactive packages and rule versions are greyed out. */
export const inactiveRow = (row: { active: boolean }) => (row.active ? '' : 'row-inactive');

export function ActiveBadge({ active }: { active: boolean }) {
  return active ? <Badge tone="ok">Active</Badge> : <Badge>Inactive</Badge>;
}
