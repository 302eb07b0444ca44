import { type ReactNode, Suspense } from 'react';
import { NavLink, Outlet } from 'react-router';
import { SiteHeader } from '../components/SiteHeader';
import { Loading } from '../components/ui';
import { CreditBalance } from '../features/credits/CreditBalance';
import { BalanceLive, useBalanceStream } from '../features/credits/hooks';
import { AccountSwitcher, useAccountGuard, useChosenAccount } from '../lib/account';
import { useSession } from '../lib/session';

/** The signed-in shell: header with navigation and the live balance, then the page. */
export function Layout({ children }: { children?: ReactNode }) {
  const { user, token, isAdmin, signOut } = useSession();
  useAccountGuard();
  const chosen = useChosenAccount();
  const live = useBalanceStream(token, chosen.id);
  return (
    <BalanceLive.Provider value={live}>
      <div className="app">
        <a className="skip-link" href="#main">
          Skip to content
        </a>
        <SiteHeader
          nav={
            <>
              <NavLink to="/credits">Credits</NavLink>
              <NavLink to="/platform">Platform</NavLink>
              <NavLink to="/pricing">Pricing</NavLink>
              <NavLink to="/team">Team</NavLink>
              {isAdmin ? <NavLink to="/admin">Admin</NavLink> : null}
            </>
          }
        >
          <div className="header-right">
            <AccountSwitcher />
            <CreditBalance compact live={live} />
            <div className="user-box">
              <span className="user-name" title={user?.email}>
                {user?.name ?? ''}
              </span>
              <button type="button" className="button button-ghost button-small" onClick={signOut}>
                Sign out
              </button>
            </div>
          </div>
        </SiteHeader>
        <main id="main" className="main" tabIndex={-1}>
          <Suspense fallback={<Loading label="Loading the page…" />}>{children ?? <Outlet />}</Suspense>
        </main>
      </div>
    </BalanceLive.Provider>
  );
}
