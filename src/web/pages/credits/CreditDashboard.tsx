import { useId, useState } from 'react';
import { useBalance, useSettings } from '../../balance';
import { ErrorMessage, Loading, Stat } from '../../components/ui';
import { formatCredits } from '../../lib/format';
import { AlertsList } from './AlertsList';
import { PurchaseCreditsModal } from './PurchaseCreditsModal';
import { SettingsForm } from './SettingsForm';
import { TransactionHistory } from './TransactionHistory';
import { UsageAnalytics } from './UsageAnalytics';

function BalanceCard({ onBuy }: { onBuy(): void }) {
  const h = useId();
  const balance = useBalance();
  const settings = useSettings();
  const b = balance.data;
  const threshold = settings.data?.lowBalanceThreshold ?? 0;
  const low = b ? !b.unlimited && b.available < threshold : false;
  return (
    <section className="card balance-card" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>Balance</h2>
        <button type="button" className="button button-primary" onClick={onBuy}>
          Buy credits
        </button>
      </div>
      <ErrorMessage error={balance.error} />
      {b ? (
        <>
          <dl className="stats">
            <Stat label="Available" value={formatCredits(b.available)} hint={b.unlimited ? 'unlimited' : 'credits'} tone={low ? 'warn' : 'ok'} />
            <Stat label="Balance" value={formatCredits(b.balance)} />
            <Stat label="Reserved" value={formatCredits(b.reserved)} hint="held for calls in progress" />
            <Stat label="Lifetime purchased" value={formatCredits(b.lifetimePurchased)} />
            <Stat label="Lifetime used" value={formatCredits(b.lifetimeUsed)} />
          </dl>
          {low ? (
            <p className="notice notice-warning">
              Your available credits are below your threshold of {formatCredits(threshold)}. Buy credits to keep the platform running.
            </p>
          ) : null}
        </>
      ) : (
        <Loading label="Loading balance…" />
      )}
    </section>
  );
}

/** CreditDashboard: balance, purchases, usage analytics, history, alerts and settings. */
export function CreditDashboard() {
  const [buying, setBuying] = useState(false);
  return (
    <div className="page">
      <div className="page-head">
        <h1>Credits</h1>
        <p className="muted">Your balance, purchases and usage, updated live.</p>
      </div>
      <div className="grid grid-dashboard">
        <BalanceCard onBuy={() => setBuying(true)} />
        <UsageAnalytics />
        <TransactionHistory />
        <AlertsList />
        <SettingsForm />
      </div>
      {buying ? <PurchaseCreditsModal onClose={() => setBuying(false)} /> : null}
    </div>
  );
}
