import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useId } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { DataTable } from '../../components/DataTable';
import { Badge, ErrorMessage, Loading } from '../../components/ui';
import { creditsText, formatCredits, formatMoney, humanize, unitLabel } from '../../lib/format';
import './pricing.css';
import { SiteHeader } from '../../components/SiteHeader';

/**
 * `/pricing`, public: the active packages (credits, bonus, price, each with a "Buy" link that
 * leads through sign-in to the purchase dialog on `/credits`) and the price of every active
 * rule in the units a person reads (per minute, per MB), from `/api/credits/packages` and
 * `/api/credits/pricing`, which need no token.
 */
export function PricingPage() {
  const h = useId();
  const hRules = useId();
  const packages = useQuery({
    queryKey: ['public', 'packages'],
    queryFn: ({ signal }) => api('GET /api/credits/packages', { signal }),
    select: (d) => d.items,
  });
  const rules = useQuery({
    queryKey: ['public', 'pricing'],
    queryFn: ({ signal }) => api('GET /api/credits/pricing', { signal }),
    select: (d) => d.items,
  });
  return (
    <div className="pricing stack-lg">
      <section className="card" aria-labelledby={h}>
        <h1 id={h}>Pricing</h1>
        <p className="muted">Buy a package of credits, then spend them on calls, messages, files and workflows at the prices below.</p>
        <ErrorMessage error={packages.error} />
        {packages.isPending ? <Loading label="Loading packages…" /> : null}
        <div className="pricing-packages">
          {(packages.data ?? []).map((p) => (
            <article key={p.id} className={p.popular ? 'pricing-package popular' : 'pricing-package'} aria-labelledby={`pkg-${p.id}`}>
              <h2 id={`pkg-${p.id}`}>{p.name}</h2>
              {p.popular ? (
                <p>
                  <Badge tone="accent">Most popular</Badge>
                </p>
              ) : null}
              <p className="pricing-price">{formatMoney(p.priceCents, p.currency)}</p>
              <p>
                <strong>{creditsText(p.credits)}</strong>
                {p.bonusCredits > 0 ? <> + {formatCredits(p.bonusCredits)} bonus</> : null}
              </p>
              <Link className="button button-primary button-block" to={`/credits?buy=${encodeURIComponent(p.id)}`}>
                Buy
              </Link>
            </article>
          ))}
        </div>
      </section>
      <section className="card" aria-labelledby={hRules}>
        <h2 id={hRules}>What each operation costs</h2>
        <ErrorMessage error={rules.error} />
        {rules.isPending ? <Loading label="Loading prices…" /> : null}
        <DataTable
          caption="Price of each operation in credits"
          rows={rules.data ?? []}
          columns={[
            { header: 'Operation', cell: (r) => r.description || humanize(r.operation) },
            { header: 'Price', className: 'num', cell: (r) => `${creditsText(r.credits)} ${unitLabel(r.unit)}` },
          ]}
        />
      </section>
    </div>
  );
}

/** The frame of the pricing page for a visitor who is not signed in: the brand, "Sign in" and "Sign up". */
export function PublicFrame({ children }: { children: ReactNode }) {
  return (
    <div className="public-page">
      <SiteHeader
        nav={
          <>
            <Link to="/pricing">Pricing</Link>
            <Link to="/signin">Sign in</Link>
            <Link to="/signup">Sign up</Link>
          </>
        }
      />
      <main id="main" className="main">
        {children}
      </main>
    </div>
  );
}
