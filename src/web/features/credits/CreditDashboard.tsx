import { AlertsList } from './AlertsList';
import { CreditBalance } from './CreditBalance';
import { CreditUsageAnalytics } from './CreditUsageAnalytics';
import { PaymentsList } from './PaymentsList';
import { SettingsForm } from './SettingsForm';
import { TransactionHistory } from './TransactionHistory';
import './credits.css';

/** CreditDashboard (`/credits`): balance and purchases, usage analytics, history, payments (with Stripe's receipts), alerts and settings. */
export function CreditDashboard() {
  return (
    <div className="page">
      <div className="page-head">
        <h1>Credits</h1>
        <p className="muted">Your balance, purchases and usage, updated live.</p>
      </div>
      <div className="grid grid-dashboard">
        <CreditBalance />
        <CreditUsageAnalytics />
        <TransactionHistory />
        <PaymentsList />
        <AlertsList />
        <SettingsForm />
      </div>
    </div>
  );
}
