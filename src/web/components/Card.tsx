import { type ReactNode, useId } from 'react';

/**
 * A card of the dashboard: a section named by its title (an `h2`), with `actions` (buttons,
 * filters, a date range) beside the title when given, then its content. `actions={null}`
 * keeps the head row (its spacing under the title) with nothing beside the title.
 */
export function Card({
  title,
  actions,
  className,
  id,
  children,
}: {
  title: ReactNode;
  actions?: ReactNode | null;
  className?: string;
  id?: string;
  children: ReactNode;
}) {
  const h = useId();
  const heading = <h2 id={h}>{title}</h2>;
  return (
    <section className={className ? `card ${className}` : 'card'} id={id} aria-labelledby={h}>
      {actions === undefined ? (
        heading
      ) : (
        <div className="card-head">
          {heading}
          {actions}
        </div>
      )}
      {children}
    </section>
  );
}
