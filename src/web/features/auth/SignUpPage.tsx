import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { api } from '../../api/client';
import { useSession } from '../../lib/session';
import { AuthCard, AuthForm, type NewAccount, NewAccountFields } from './AuthCard';
import { checkNewAccount, useFieldChecks } from './check-account';
import { useAfterAuth } from './use-after-auth';

/** `/signup`: "Name", "Email", "Password", "Create account"; a link to "Sign in". */
export function SignUpPage() {
  const { token } = useSession();
  const done = useAfterAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [account, setAccount] = useState<NewAccount>({ name: '', email: '', password: '' });
  const m = useSubmitMutation({
    mutationFn: () => api('POST /api/auth/register', { body: account }),
    // With REQUIRE_EMAIL_VERIFICATION the answer is 202 without a token: check the inbox.
    onSuccess: (a) => {
      if ('token' in a) done(a);
      else navigate('/verify-email', { state: { email: account.email, sent: true } });
    },
  });
  const checks = useFieldChecks(checkNewAccount(account));
  if (token && !m.isSuccess) return <Navigate to="/" replace />;
  // Checked in the browser first: nothing is sent while a field is wrong.
  const submit = () => {
    if (checks.ready()) m.mutate();
  };
  return (
    <AuthCard title="Create your account">
      <AuthForm onSubmit={submit} submit="Create account" busy={m.isPending}>
        <NewAccountFields value={account} onChange={setAccount} error={m.error} checks={checks} />
      </AuthForm>
      <p className="auth-switch">
        Already have an account?{' '}
        <Link to="/signin" state={location.state}>
          Sign in
        </Link>
      </p>
    </AuthCard>
  );
}
