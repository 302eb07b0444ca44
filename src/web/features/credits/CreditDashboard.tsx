import { useChosenAccount } from '../../lib/account';
import { AlertsList } from './AlertsList';
import { CreditBalance } from './CreditBalance';
import { CreditUsageAnalytics } from './CreditUsageAnalytics';
import { HeldCredits } from './HeldCredits';
import { useBalance } from './hooks';
import { PaymentsList } from './PaymentsList';
import { SettingsForm } from './SettingsForm';
import { TransactionHistory } from './TransactionHistory';
import './credits.css';

/** CreditDashboard (`/credits`): balance and purchases, what the reserved credits are held for (while any are), usage analytics, history, payments (with Stripe's receipts), alerts and settings. */
export function CreditDashboard() {
  const reserved = useBalance().data?.reserved ?? 0;
  // An organisation's payments and settings are for its owners and admins (a member is refused them).
  const { canManage, isOrg, account } = useChosenAccount();
  return (
    <div className="page">
      <div className="page-head">
        <h1>Credits</h1>
        <p className="muted">
          {isOrg ? `${account?.name ?? 'The organisation'}’s shared balance, purchases and usage` : 'Your balance, purchases and usage'},
          updated live.
        </p>
      </div>
      <div className="grid grid-dashboard">
        <CreditBalance />
        {reserved > 0 ? <HeldCredits /> : null}
        <CreditUsageAnalytics />
        <TransactionHistory />
        {canManage ? <PaymentsList /> : null}
        <AlertsList />
        {canManage ? <SettingsForm /> : null}
      </div>
    </div>
  );
}
