/** What every card of the platform page shares: its frame, the price before and the charge after. */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type ReactNode, useId } from 'react';
import type { Shape } from '../../../contracts/types';
import type { BodyOf } from '../../../contracts/endpoints';
import { api } from '../../api/client';
import { parseThousandths } from '../../../contracts/money';
import { Success } from '../../components/ui';
import { creditsText, formatCredits } from '../../lib/format';
import { keys } from '../../lib/query-keys';

type EstimateRequest = BodyOf<'POST /api/credits/estimate'>;

/** The price of `quantity` (base units) of an operation, and whether the balance covers it; nothing while `quantity` is null. */
export function useEstimate(operation: string, unit: EstimateRequest['unit'], quantity: number | null) {
  // The API's own rule for a quantity (contracts/money parseThousandths: at most 3 decimals), not a float's tolerance.
  const thousandths = quantity === null ? null : parseThousandths(quantity);
  const asked = thousandths !== null && thousandths >= 0;
  return useQuery({
    queryKey: keys.estimate.one(operation, unit, quantity),
    queryFn: () => api('POST /api/credits/estimate', { body: { operation, unit, quantity: quantity ?? 0 } }),
    enabled: asked,
    staleTime: 30_000,
    // A quantity that cannot be priced (negative, more than 3 decimals: the API's 400) shows no price, not the last one.
    placeholderData: asked ? keepPreviousData : undefined,
  });
}

export function Price({
  estimate,
  suffix,
  label = 'Price',
}: {
  estimate: ReturnType<typeof useEstimate>;
  suffix?: ReactNode;
  label?: string;
}) {
  const e = estimate.data;
  return (
    <p className="price-line">
      <span className="price-label">{label}</span>{' '}
      {e ? (
        <>
          <strong>{creditsText(e.cost)}</strong>
          {suffix}
          {!e.allowed ? (
            <span className="price-warn">
              {/* Refused while the balance covers it: the member's monthly limit on the organisation is what is short. */}
              {e.cost <= e.available ? ' · past your monthly limit' : ` · more than your ${formatCredits(e.available)} available`}
            </span>
          ) : null}
        </>
      ) : estimate.isError ? (
        <span className="muted">unavailable</span>
      ) : (
        <span className="muted">…</span>
      )}
    </p>
  );
}

export function Charged({ credits, children }: { credits: Shape<'Charge'> | undefined; children?: ReactNode }) {
  if (!credits) return null;
  return (
    <Success>
      {children} Charged <strong>{creditsText(credits.charged)}</strong>; {formatCredits(credits.available)} available now
      {credits.available !== credits.balance ? ` (${formatCredits(credits.balance - credits.available)} reserved for open calls)` : ''}.
    </Success>
  );
}

export function ActionCard({ title, description, children }: { title: string; description: string; children: ReactNode }) {
  const h = useId();
  return (
    <section className="card action-card" aria-labelledby={h}>
      <h2 id={h}>{title}</h2>
      <p className="muted">{description}</p>
      {children}
    </section>
  );
}
