import { type ComponentType, lazy, useEffect } from 'react';
import { Navigate, Route, Routes, useLocation } from 'react-router';
import { ForgotPasswordPage } from '../features/auth/ForgotPasswordPage';
import { ResetPasswordPage } from '../features/auth/ResetPasswordPage';
import { SetupPage } from '../features/auth/SetupPage';
import { SignInPage } from '../features/auth/SignInPage';
import { SignUpPage } from '../features/auth/SignUpPage';
import { VerifyEmailPage } from '../features/auth/VerifyEmailPage';
import { PlatformPage } from '../features/platform/PlatformPage';
import { PricingPage, PublicFrame } from '../features/pricing/PricingPage';
import { useSession } from '../lib/session';
import { AdminLayout } from './AdminLayout';
import { Layout } from './Layout';
import { NotFound } from './NotFound';

/**
 * Code split by route: the first page a visitor loads (sign-in, or the platform page) carries
 * neither the administration, nor the charts (recharts, on the credits and analytics pages),
 * nor the card form (Stripe, loaded when the purchase dialog opens). Each lazy page is its own
 * chunk, fetched on first visit; `npm run build:web` fails when the first page's JavaScript
 * passes its budget (scripts/web-budget.mjs).
 */
const page = <K extends string>(load: () => Promise<Record<K, ComponentType>>, name: K) =>
  lazy(() => load().then((m) => ({ default: m[name] })));
const AdminUsersPage = page(() => import('../features/admin-users/AdminUsersPage'), 'AdminUsersPage');
const AdminOrganizationsPage = page(() => import('../features/admin-users/AdminOrganizationsPage'), 'AdminOrganizationsPage');
const AdminUserPage = page(() => import('../features/admin-users/AdminUserPage'), 'AdminUserPage');
const AdminPackagesPage = page(() => import('../features/admin-catalog/AdminPackagesPage'), 'AdminPackagesPage');
const AdminPricingPage = page(() => import('../features/admin-catalog/AdminPricingPage'), 'AdminPricingPage');
const AdminPaymentsPage = page(() => import('../features/admin-payments/AdminPaymentsPage'), 'AdminPaymentsPage');
const AdminAnalyticsPage = page(() => import('../features/admin-analytics/AdminAnalyticsPage'), 'AdminAnalyticsPage');
const AdminAuditPage = page(() => import('../features/admin-audit/AdminAuditPage'), 'AdminAuditPage');
const AdminWebhooksPage = page(() => import('../features/admin-webhooks/AdminWebhooksPage'), 'AdminWebhooksPage');
const AdminApiKeysPage = page(() => import('../features/admin-api-keys/AdminApiKeysPage'), 'AdminApiKeysPage');
const AdminPromoCodesPage = page(() => import('../features/admin-promo-codes/AdminPromoCodesPage'), 'AdminPromoCodesPage');
const AdminLiabilityPage = page(() => import('../features/admin-liability/AdminLiabilityPage'), 'AdminLiabilityPage');
const TeamPage = page(() => import('../features/team/TeamPage'), 'TeamPage');
const AcceptInvitationPage = page(() => import('../features/team/AcceptInvitationPage'), 'AcceptInvitationPage');
const CreditDashboard = page(() => import('../features/credits/CreditDashboard'), 'CreditDashboard');

/** The pages before sign-in, by path, with their titles. */
const PUBLIC_PAGES: [path: string, title: string, Page: ComponentType][] = [
  ['/signin', 'Sign in', SignInPage],
  ['/signup', 'Sign up', SignUpPage],
  ['/setup', 'Set up', SetupPage],
  ['/verify-email', 'Verify your email', VerifyEmailPage],
  ['/forgot-password', 'Forgot password', ForgotPasswordPage],
  ['/reset-password', 'Reset password', ResetPasswordPage],
];

/** The administration pages, below /admin (for admins only: AdminLayout). */
const ADMIN_PAGES: Record<string, ComponentType> = {
  users: AdminUsersPage,
  'users/:id': AdminUserPage,
  organizations: AdminOrganizationsPage,
  packages: AdminPackagesPage,
  pricing: AdminPricingPage,
  payments: AdminPaymentsPage,
  analytics: AdminAnalyticsPage,
  audit: AdminAuditPage,
  webhooks: AdminWebhooksPage,
  'api-keys': AdminApiKeysPage,
  'promo-codes': AdminPromoCodesPage,
  liability: AdminLiabilityPage,
};

const SIGNED_IN_TITLES: [RegExp, string][] = [
  [/^\/credits/, 'Credits'],
  [/^\/pricing/, 'Pricing'],
  [/^\/team/, 'Team'],
  [/^\/(invitations\/|accept-invitation)/, 'Invitation'],
  [/^\/admin/, 'Administration'],
  [/^\/(platform)?$/, 'Platform'],
];

function DocumentTitle() {
  const { pathname } = useLocation();
  useEffect(() => {
    const t = PUBLIC_PAGES.find(([path]) => pathname.startsWith(path))?.[1] ?? SIGNED_IN_TITLES.find(([re]) => re.test(pathname))?.[1];
    document.title = t ? `${t} · Credit billing` : 'Credit billing';
  }, [pathname]);
  return null;
}

/** `/pricing`: public; inside the signed-in shell for a signed-in user. */
function PricingRoute() {
  const { token } = useSession();
  return token ? (
    <Layout>
      <PricingPage />
    </Layout>
  ) : (
    <PublicFrame>
      <PricingPage />
    </PublicFrame>
  );
}

function RequireAuth() {
  const { token } = useSession();
  const location = useLocation();
  // The fragment too: an invitation's link carries its token there.
  if (!token) return <Navigate to="/signin" replace state={{ from: location.pathname + location.search + location.hash }} />;
  return <Layout />;
}

/** The routes of the dashboard (shared/UI.md): the pages before sign-in, then the signed-in shell. */
export function App() {
  return (
    <>
      <DocumentTitle />
      <Routes>
        {PUBLIC_PAGES.map(([path, , Page]) => (
          <Route key={path} path={path} element={<Page />} />
        ))}
        <Route path="/pricing" element={<PricingRoute />} />
        <Route element={<RequireAuth />}>
          <Route index element={<PlatformPage />} />
          <Route path="platform" element={<PlatformPage />} />
          <Route path="credits" element={<CreditDashboard />} />
          <Route path="team" element={<TeamPage />} />
          <Route path="invitations/:token" element={<AcceptInvitationPage />} />
          <Route path="accept-invitation" element={<AcceptInvitationPage />} />
          <Route path="admin" element={<AdminLayout />}>
            <Route index element={<Navigate to="/admin/users" replace />} />
            {Object.entries(ADMIN_PAGES).map(([path, Page]) => (
              <Route key={path} path={path} element={<Page />} />
            ))}
            <Route path="*" element={<NotFound />} />
          </Route>
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </>
  );
}
