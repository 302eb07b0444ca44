import { useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import type { Shape } from '../../../contracts/types';
import { ApiError, api, idempotencyKey } from '../../api/client';
import { CloseButton } from '../../components/Actions';
import { Dialog } from '../../components/Dialog';
import { Loading } from '../../components/ui';
import { useChosenAccount } from '../../lib/account';
import { useConfig } from '../../lib/config';
import { creditsText, formatCredits, formatMoney } from '../../lib/format';
import { keys } from '../../lib/query-keys';
import { usePackages } from './hooks';
import { purchaseFailure } from './purchase-failure';
import './credits.css';
import { LoadError } from '../../components/QueryStatus';

// Stripe.js is loaded only when the server takes card payments.
const StripePayment = lazy(() => import('./StripePayment').then((m) => ({ default: m.StripePayment })));

function perCredit(p: Shape<'CreditPackage'>): string {
  const total = p.credits + p.bonusCredits;
  if (total <= 0) return '';
  const dollars = p.priceCents / 100 / total;
  return `${new Intl.NumberFormat('en-US', { style: 'currency', currency: p.currency.toUpperCase() || 'USD', minimumFractionDigits: 3, maximumFractionDigits: 3 }).format(dollars)} per credit`;
}

/**
 * PurchaseCreditsModal: the packages, one "Buy" each; a simulated purchase completes at once.
 * `preferred`, the package a person chose on /pricing before signing in, is marked "Your
 * choice" and its "Buy" takes the focus once the packages are there (nothing is bought for them).
 */
export function PurchaseCreditsModal({ onClose, preferred }: { onClose(): void; preferred?: string | null }) {
  const packages = usePackages();
  const preferredBuy = useRef<HTMLButtonElement>(null);
  const focusedPreferred = useRef(false);
  useEffect(() => {
    if (focusedPreferred.current || !preferredBuy.current) return;
    focusedPreferred.current = true;
    preferredBuy.current.focus();
  });
  const config = useConfig();
  const queryClient = useQueryClient();
  const [offline, setOffline] = useState(false);
  // Each purchase carries its own Idempotency-Key; "Try again" after a failure sends the same
  // one, so a purchase that did go through is answered again, never made twice.
  const buy = useSubmitMutation({
    // Run even when the browser says it is offline (React Query would hold it back, showing "Buying…" until back online): it then fails at once and says so.
    networkMode: 'always',
    mutationFn: ({ pkg, key }: { pkg: Shape<'CreditPackage'>; key: string }) => {
      // Known offline: the purchase is not sent at all (so it surely was not made).
      if (typeof navigator !== 'undefined' && navigator.onLine === false) {
        return Promise.reject(new ApiError(0, 'network_error', 'This device is offline.'));
      }
      return api('POST /api/credits/purchase', { body: { packageId: pkg.id }, idempotent: true, idempotencyKey: key });
    },
    onMutate: () => setOffline(false),
    onError: () => setOffline(typeof navigator !== 'undefined' && navigator.onLine === false),
    // Success or failure, the figures are asked again: they follow what happened, or say they could not.
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: keys.balance });
      void queryClient.invalidateQueries({ queryKey: keys.payments });
      void queryClient.invalidateQueries({ queryKey: keys.transactions.all });
    },
  });
  const provider = config.data?.paymentsProvider;
  const [paid, setPaid] = useState(false);
  const done = buy.data;
  const bought = buy.variables?.pkg;
  const failure = buy.error ? purchaseFailure(buy.error, provider, offline) : null;
  // The purchase is for the chosen account (the client names it); an organisation's members
  // spend its credits, but only its owners and admins buy them (the server would answer 403).
  const chosen = useChosenAccount();
  const orgName = chosen.isOrg ? (chosen.account?.name ?? 'this organisation') : null;

  if (orgName && !chosen.canManage) {
    return (
      <Dialog title="Buy credits" onClose={onClose}>
        <div className="stack">
          <p className="notice notice-info">
            Only owners and admins of {orgName} buy credits for it. Ask one of them to top up its balance, or switch to your personal
            account in the “Account” menu to buy credits for yourself.
          </p>
          <CloseButton onClose={onClose} />
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog
      title="Buy credits"
      onClose={onClose}
      wide
      description={orgName ? `For ${orgName}: the credits go to its shared balance.` : undefined}
    >
      {done && bought ? (
        <div className="purchase-done">
          {done.payment.status === 'pending' && done.clientSecret && config.data?.stripePublishableKey && !paid ? (
            <Suspense fallback={<Loading label="Loading the card form…" />}>
              <p>
                Pay {formatMoney(done.payment.amountCents, done.payment.currency)} for {creditsText(done.payment.credits)} ({bought.name}).
              </p>
              <StripePayment
                publishableKey={config.data.stripePublishableKey}
                clientSecret={done.clientSecret}
                paymentId={done.payment.id}
                onPaid={() => {
                  setPaid(true);
                  void queryClient.invalidateQueries({ queryKey: keys.balance });
                  void queryClient.invalidateQueries({ queryKey: keys.payments });
                }}
              />
            </Suspense>
          ) : done.payment.status === 'succeeded' || paid ? (
            <div className="notice notice-success" role="status">
              <p>
                <strong>Purchase succeeded.</strong> {creditsText(done.payment.credits)} ({bought.name}) were added to{' '}
                {orgName ? `${orgName}’s` : 'your'} balance for {formatMoney(done.payment.amountCents, done.payment.currency)}.
              </p>
            </div>
          ) : done.payment.status === 'pending' ? (
            <div className="notice" role="status">
              <p>
                <strong>Payment started.</strong> Your {creditsText(done.payment.credits)} are added as soon as the payment provider
                confirms it.
              </p>
            </div>
          ) : (
            <div className="notice notice-error" role="alert">
              <p>The payment did not go through ({done.payment.status}). Nothing was charged.</p>
            </div>
          )}
          <CloseButton onClose={onClose} />
        </div>
      ) : (
        <>
          {provider === 'simulated' ? (
            <p className="notice notice-info">Payments are simulated on this server: no card is charged and credits are added at once.</p>
          ) : null}
          {provider === 'none' ? (
            <p className="notice notice-warning">Purchases are unavailable right now: no payment provider is configured.</p>
          ) : null}
          {packages.isPending ? <Loading label="Loading packages…" /> : null}
          <LoadError query={packages} />
          {failure && bought ? (
            <div className="notice notice-error purchase-failed" role="alert">
              {failure.charged === 'no' ? (
                <p>
                  <strong>You were not charged.</strong> {failure.why} Nothing was bought.
                </p>
              ) : (
                <>
                  <p>
                    <strong>We cannot tell whether {bought.name} was bought.</strong> {failure.why}
                  </p>
                  <p>
                    Check your balance and the “Payments” list and history on this page before buying again. “Try again” sends the same
                    purchase again: if the first one went through it is shown, not made a second time.
                  </p>
                </>
              )}
              <p>
                <button
                  type="button"
                  className="button button-small"
                  disabled={buy.isPending}
                  onClick={() => buy.variables && buy.mutate(buy.variables)}
                >
                  Try again
                </button>
              </p>
            </div>
          ) : null}
          <div className="package-grid">
            {(packages.data ?? []).map((p) => (
              <article
                key={p.id}
                aria-label={p.name}
                className={`tile package${p.popular || p.id === preferred ? ' package-popular' : ''}`}
              >
                {p.id === preferred ? (
                  <span className="ribbon">Your choice</span>
                ) : p.popular ? (
                  <span className="ribbon">Most popular</span>
                ) : null}
                <h3>{p.name}</h3>
                <p className="package-credits">
                  <span className="big">{formatCredits(p.credits)}</span> credits
                </p>
                <p className="package-bonus">{p.bonusCredits > 0 ? `+ ${formatCredits(p.bonusCredits)} bonus credits` : 'No bonus'}</p>
                <p className="package-price">{formatMoney(p.priceCents, p.currency)}</p>
                <p className="package-per muted">{perCredit(p)}</p>
                <button
                  type="button"
                  ref={p.id === preferred ? preferredBuy : undefined}
                  className={p.popular || p.id === preferred ? 'button button-primary button-block' : 'button button-block'}
                  disabled={buy.isPending || provider === 'none'}
                  onClick={() => buy.mutate({ pkg: p, key: idempotencyKey() })}
                >
                  {buy.isPending && bought?.id === p.id ? 'Buying…' : 'Buy'}
                </button>
              </article>
            ))}
          </div>
        </>
      )}
    </Dialog>
  );
}
