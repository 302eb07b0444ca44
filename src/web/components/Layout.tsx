import type { ReactNode } from 'react';
import { Link, NavLink, Outlet } from 'react-router';
import { useAuth } from '../auth';
import { useBalance, useBalanceStream, useSettings } from '../balance';
import { formatCredits } from '../lib/format';

function HeaderBalance({ live }: { live: boolean }) {
  const balance = useBalance();
  const settings = useSettings();
  const b = balance.data;
  if (!b) {
    return (
      <div className="balance-pill" aria-busy="true">
        <span className="muted">Loading balance…</span>
      </div>
    );
  }
  const threshold = settings.data?.lowBalanceThreshold ?? 0;
  const low = !b.unlimited && b.available < threshold;
  const title = low
    ? `Low balance: below your threshold of ${formatCredits(threshold)} credits`
    : b.unlimited
      ? 'Unlimited credits'
      : `${formatCredits(b.available)} credits available`;
  return (
    <div className={`balance-pill${low ? ' balance-low' : ''}`} title={title}>
      <span className={`live-dot${live ? ' live-on' : ''}`} aria-hidden="true" />
      <span role="status" aria-label="Credit balance" className="balance-value">
        {formatCredits(b.available)}
      </span>
      <span className="balance-unit">{b.unlimited ? 'credits · unlimited' : 'credits'}</span>
      {low ? <span className="visually-hidden"> (low balance)</span> : null}
    </div>
  );
}

/** The signed-in shell: header with navigation and the live balance, then the page. */
export function Layout({ children }: { children?: ReactNode }) {
  const { user, token, isAdmin, signOut } = useAuth();
  const live = useBalanceStream(token);
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="header-inner">
          <Link to="/" className="brand">
            <span className="brand-mark" aria-hidden="true">
              ◆
            </span>
            <span className="brand-name">Credit billing</span>
          </Link>
          <nav aria-label="Main" className="main-nav">
            <NavLink to="/credits">Credits</NavLink>
            <NavLink to="/platform">Platform</NavLink>
            {isAdmin ? <NavLink to="/admin">Admin</NavLink> : null}
          </nav>
          <div className="header-right">
            <HeaderBalance live={live} />
            <div className="user-box">
              <span className="user-name" title={user?.email}>
                {user?.name ?? ''}
              </span>
              <button type="button" className="button button-ghost button-small" onClick={signOut}>
                Sign out
              </button>
            </div>
          </div>
        </div>
      </header>
      <main id="main" className="main" tabIndex={-1}>
        {children ?? <Outlet />}
      </main>
    </div>
  );
}
