import type { ReactNode } from 'react';
import { Link } from 'react-router';

/**
 * The header of every page, signed in or not: the brand (a link home), the main navigation
 * (`nav`: its links), then `children` (the account, the balance and the user, signed in).
 */
export function SiteHeader({ nav, children }: { nav: ReactNode; children?: ReactNode }) {
  return (
    <header className="site-header">
      <div className="header-inner">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          <span className="brand-name">Credit billing</span>
        </Link>
        <nav aria-label="Main" className="main-nav">
          {nav}
        </nav>
        {children}
      </div>
    </header>
  );
}
