import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, useEffect } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { ApiError } from './api/client';
import { AuthProvider, useAuth } from './auth';
import { Layout } from './components/Layout';
import { AdminAudit, AdminAnalyticsPage, AdminPayments } from './pages/admin/AdminReports';
import { AdminPackages, AdminPricing } from './pages/admin/AdminCatalog';
import { AdminLayout } from './pages/admin/AdminLayout';
import { AdminUserDetailPage, AdminUsers } from './pages/admin/AdminUsers';
import { ForgotPasswordPage, ResetPasswordPage, SignInPage, SignUpPage, VerifyEmailPage } from './pages/AuthPages';
import { CreditDashboard } from './pages/credits/CreditDashboard';
import { NotFound } from './pages/NotFound';
import { PlatformPage } from './pages/Platform';
import { SetupPage } from './pages/SetupPage';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Client errors (4xx) do not get better by retrying.
      retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
      staleTime: 10_000,
    },
    mutations: { retry: false },
  },
});

const TITLES: [RegExp, string][] = [
  [/^\/signin/, 'Sign in'],
  [/^\/signup/, 'Sign up'],
  [/^\/setup/, 'Set up'],
  [/^\/verify-email/, 'Verify your email'],
  [/^\/forgot-password/, 'Forgot password'],
  [/^\/reset-password/, 'Reset password'],
  [/^\/credits/, 'Credits'],
  [/^\/admin/, 'Administration'],
  [/^\/(platform)?$/, 'Platform'],
];

function DocumentTitle() {
  const { pathname } = useLocation();
  useEffect(() => {
    const t = TITLES.find(([re]) => re.test(pathname))?.[1];
    document.title = t ? `${t} · Credit billing` : 'Credit billing';
  }, [pathname]);
  return null;
}

function RequireAuth() {
  const { token } = useAuth();
  const location = useLocation();
  if (!token) return <Navigate to="/signin" replace state={{ from: location.pathname + location.search }} />;
  return <Layout />;
}

function App() {
  return (
    <>
      <DocumentTitle />
      <Routes>
        <Route path="/signin" element={<SignInPage />} />
        <Route path="/signup" element={<SignUpPage />} />
        <Route path="/setup" element={<SetupPage />} />
        <Route path="/verify-email" element={<VerifyEmailPage />} />
        <Route path="/forgot-password" element={<ForgotPasswordPage />} />
        <Route path="/reset-password" element={<ResetPasswordPage />} />
        <Route element={<RequireAuth />}>
          <Route index element={<PlatformPage />} />
          <Route path="platform" element={<PlatformPage />} />
          <Route path="credits" element={<CreditDashboard />} />
          <Route path="admin" element={<AdminLayout />}>
            <Route index element={<Navigate to="/admin/users" replace />} />
            <Route path="users" element={<AdminUsers />} />
            <Route path="users/:id" element={<AdminUserDetailPage />} />
            <Route path="packages" element={<AdminPackages />} />
            <Route path="pricing" element={<AdminPricing />} />
            <Route path="payments" element={<AdminPayments />} />
            <Route path="analytics" element={<AdminAnalyticsPage />} />
            <Route path="audit" element={<AdminAudit />} />
            <Route path="*" element={<NotFound />} />
          </Route>
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
    </>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('no #root element');
createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <AuthProvider>
          <App />
        </AuthProvider>
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
