import { Suspense } from 'react';
import { NavLink, Outlet } from 'react-router';
import { Loading } from '../components/ui';
import { useSession } from '../lib/session';
import { NotAllowed } from './NotFound';
import './admin.css';

/** /admin and below: admins and super admins only; everyone else sees "Not allowed". */
export function AdminLayout() {
  const { user, loading, isAdmin } = useSession();
  if (loading || !user) return <Loading label="Checking your access…" />;
  if (!isAdmin) return <NotAllowed />;
  return (
    <div className="page admin">
      <div className="page-head">
        <h1>Administration</h1>
      </div>
      <nav aria-label="Administration" className="sub-nav">
        <NavLink to="/admin/users">Users</NavLink>
        <NavLink to="/admin/packages">Packages</NavLink>
        <NavLink to="/admin/pricing">Pricing</NavLink>
        <NavLink to="/admin/payments">Payments</NavLink>
        <NavLink to="/admin/analytics">Analytics</NavLink>
        <NavLink to="/admin/audit">Audit log</NavLink>
        <NavLink to="/admin/webhooks">Webhooks</NavLink>
        <NavLink to="/admin/api-keys">API keys</NavLink>
      </nav>
      <Suspense fallback={<Loading label="Loading the page…" />}>
        <Outlet />
      </Suspense>
    </div>
  );
}
