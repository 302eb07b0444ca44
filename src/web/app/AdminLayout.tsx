import { Suspense, useEffect, useRef } from 'react';
import { NavLink, Outlet, useLocation } from 'react-router';
import { LoadError } from '../components/QueryStatus';
import { Loading } from '../components/ui';
import { useSession } from '../lib/session';
import { NotAllowed } from './NotFound';
import './admin.css';

/** /admin and below: admins and super admins only; everyone else sees "Not allowed". */
export function AdminLayout() {
  const { user, loading, isAdmin, me } = useSession();
  // Who the user is could not be read (the server was busy or unreachable): say so, with "Retry", rather than wait forever.
  if (!user && me.error) {
    return (
      <div className="page narrow">
        <LoadError query={me} />
      </div>
    );
  }
  if (loading || !user) return <Loading label="Checking your access…" />;
  if (!isAdmin) return <NotAllowed />;
  return (
    <div className="page admin">
      <div className="page-head">
        <h1>Administration</h1>
      </div>
      <AdminTabs />
      <Suspense fallback={<Loading label="Loading the page…" />}>
        <Outlet />
      </Suspense>
    </div>
  );
}

/** The administration's tabs; on a phone they scroll sideways (and show it), the current page's tab kept in view. */
function AdminTabs() {
  const nav = useRef<HTMLElement>(null);
  const { pathname } = useLocation();
  useEffect(() => {
    const active = nav.current?.querySelector<HTMLElement>(`a[href="${pathname}"]`);
    active?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [pathname]);
  return (
    <nav aria-label="Administration" className="sub-nav scroll-x" ref={nav}>
      <NavLink to="/admin/users">Users</NavLink>
      <NavLink to="/admin/organizations">Organisations</NavLink>
      <NavLink to="/admin/packages">Packages</NavLink>
      <NavLink to="/admin/pricing">Pricing</NavLink>
      <NavLink to="/admin/payments">Payments</NavLink>
      <NavLink to="/admin/analytics">Analytics</NavLink>
      <NavLink to="/admin/audit">Audit log</NavLink>
      <NavLink to="/admin/webhooks">Webhooks</NavLink>
      <NavLink to="/admin/api-keys">API keys</NavLink>
      <NavLink to="/admin/promo-codes">Promo codes</NavLink>
      <NavLink to="/admin/liability">Liability</NavLink>
    </nav>
  );
}
