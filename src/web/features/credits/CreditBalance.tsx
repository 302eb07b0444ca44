import { useId, useState } from 'react';
import { useSearchParams } from 'react-router';
import { Loading, Stat } from '../../components/ui';
import { creditsText, formatCredits, formatCreditsPlain, formatDate, formatTime } from '../../lib/format';
import { useBalance, useBalanceFreshness, useLowBalance } from './hooks';
import { PurchaseCreditsModal } from './PurchaseCreditsModal';
import { RedeemCode } from './RedeemCode';
import './credits.css';
import { LoadError } from '../../components/QueryStatus';
import { useChosenAccount } from '../../lib/account';

/**
 * CreditBalance: the signed-in user's balance, live. `compact` is the header's pill: the
 * available credits in the element named "Credit balance", amber below the low-balance
 * threshold, with a dot while the stream is connected (`live`). The full card shows
 * available, balance, reserved and lifetime figures, with "Buy credits" opening the
 * PurchaseCreditsModal, and "Redeem a code" (the "Promo code" field). When the figures may be out of date (the stream down for a few
 * seconds, or a refresh failed) both say so: "not live" in the pill, "Not live, last
 * updated …" with "Retry" on the card.
 */
export function CreditBalance(props: { compact: true; live: boolean } | { compact?: false }) {
  return props.compact ? <BalancePill live={props.live} /> : <BalanceCard />;
}

function BalancePill({ live }: { live: boolean }) {
  const balance = useBalance();
  const b = balance.data;
  const { low, threshold } = useLowBalance(b);
  const { stale, updatedAt } = useBalanceFreshness();
  if (!b) {
    // Never read (its first read failed): said, not "Loading…" for ever.
    return balance.isError ? (
      <div className="balance-pill balance-stale" title="The balance could not be read: the Balance card on /credits has Retry.">
        <span className="muted">Balance unavailable</span>
      </div>
    ) : (
      <div className="balance-pill" aria-busy="true">
        <span className="muted">Loading balance…</span>
      </div>
    );
  }
  const title = stale
    ? `Not live: last updated ${formatTime(updatedAt)}`
    : low
      ? `Low balance: below your threshold of ${creditsText(threshold)}`
      : b.unlimited
        ? 'Unlimited credits'
        : `${creditsText(b.available)} available`;
  return (
    <div className={`balance-pill${low ? ' balance-low' : ''}${stale ? ' balance-stale' : ''}`} title={title}>
      <span className={`live-dot${live ? ' live-on' : ''}`} aria-hidden="true" />
      <span role="status" aria-label="Credit balance" className="balance-value">
        {formatCreditsPlain(b.available)}
      </span>
      <span className="balance-unit">{b.unlimited ? 'credits · unlimited' : 'credits'}</span>
      {low ? <span className="visually-hidden"> (low balance)</span> : null}
      {stale ? <span className="balance-stale-tag">not live</span> : null}
    </div>
  );
}

const STALE_WHY = {
  offline: ': this device is offline',
  failed: ': the balance could not be refreshed',
  stream: ': the live connection dropped and is reconnecting',
} as const;

function BalanceCard() {
  const h = useId();
  // `?buy=<package>` (the pricing page's "Buy", after sign-in) opens the purchase dialog.
  const [params, setParams] = useSearchParams();
  const [buying, setBuying] = useState(() => params.has('buy'));
  const balance = useBalance();
  const b = balance.data;
  const { low, fresh, threshold } = useLowBalance(b);
  const freshness = useBalanceFreshness();
  const { canManage } = useChosenAccount();
  return (
    <section className="card balance-card" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Balance</h2>
        <button type="button" className="button button-primary" onClick={() => setBuying(true)}>
          Buy credits
        </button>
      </div>
      {/* Figures already shown: a failed refresh is the stale note's ("Not live", with Retry), not a second alert. */}
      {b ? null : <LoadError query={balance} />}
      {b ? (
        <>
          {freshness.stale ? (
            <div className="notice notice-warning stale-note" role="status">
              <p>
                <strong>Not live.</strong> Last updated at {formatTime(freshness.updatedAt)}
                {STALE_WHY[freshness.why]}, so these figures may be out of date.
              </p>
              <button type="button" className="button button-small" onClick={freshness.retry}>
                Retry
              </button>
            </div>
          ) : null}
          <dl className={freshness.stale ? 'stats stats-stale' : 'stats'}>
            <Stat
              label="Available"
              value={formatCredits(b.available)}
              hint={b.unlimited ? 'unlimited' : 'credits'}
              tone={low ? 'warn' : 'ok'}
            />
            <Stat label="Balance" value={formatCredits(b.balance)} />
            <Stat
              label="Reserved"
              value={formatCredits(b.reserved)}
              hint={b.reserved > 0 ? <a href="#held-credits">see what holds them</a> : 'nothing held'}
            />
            <Stat label="Lifetime purchased" value={formatCredits(b.lifetimePurchased)} />
            <Stat label="Lifetime used" value={formatCredits(b.lifetimeUsed)} />
          </dl>
          {b.expiringSoon.credits > 0 && b.expiringSoon.at ? (
            <p className="notice notice-info expiring-soon">
              <strong>
                {creditsText(b.expiringSoon.credits)} {b.expiringSoon.credits === 1 ? 'expires' : 'expire'} by{' '}
                {formatDate(b.expiringSoon.at)}.
              </strong>{' '}
              Credits that expire are spent first.
            </p>
          ) : null}
          {fresh ? (
            <p className="notice notice-info">
              <strong>Welcome.</strong> Your account has no credits yet: choose a package with “Buy credits” to start using the platform.
            </p>
          ) : null}
          {low ? (
            <p className="notice notice-warning">
              Your available credits are below your threshold of {formatCredits(threshold)}. Buy credits to keep the platform running.
            </p>
          ) : null}
        </>
      ) : balance.isError ? null : (
        // Failed: LoadError above says so, with Retry; no spinner beside it.
        <Loading label="Loading balance…" />
      )}
      {/* On an organisation only its owners and admins redeem codes (the API refuses a member's). */}
      {canManage ? <RedeemCode /> : null}
      {buying ? (
        <PurchaseCreditsModal
          preferred={params.get('buy')}
          onClose={() => {
            setBuying(false);
            if (params.has('buy')) setParams({}, { replace: true });
          }}
        />
      ) : null}
    </section>
  );
}
