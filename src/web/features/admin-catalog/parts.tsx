import type { ReactNode } from 'react';
import { Badge } from '../../components/ui';

/** A catalog page's card: its title, the buttons beside it, and the list. */
export function CatalogCard({
  titleId,
  title,
  actions,
  children,
}: {
  titleId: string;
  title: string;
  actions: ReactNode;
  children: ReactNode;
}) {
  return (
    <section className="card" aria-labelledby={titleId}>
      <div className="card-head">
        <h2 id={titleId}>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** Inactive packages and rule versions are greyed out. */
export const inactiveRow = (row: { active: boolean }) => (row.active ? '' : 'row-inactive');

export function ActiveBadge({ active }: { active: boolean }) {
  return active ? <Badge tone="ok">Active</Badge> : <Badge>Inactive</Badge>;
}
