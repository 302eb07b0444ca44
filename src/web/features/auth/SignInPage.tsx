import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import { Link, Navigate, useLocation } from 'react-router';
import { ApiError, api } from '../../api/client';
import { fieldErrors } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { useConfig } from '../../lib/config';
import { useSession } from '../../lib/session';
import { AuthCard, AuthForm, EmailField, PasswordField } from './AuthCard';
import { useAfterAuth } from './use-after-auth';

/** `/signin`: "Email", "Password", "Sign in"; "Forgot password?" when mail is configured; a link to "Sign up". */
export function SignInPage() {
  const { token } = useSession();
  const done = useAfterAuth();
  const location = useLocation();
  const config = useConfig();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const m = useSubmitMutation({
    mutationFn: () => api('POST /api/auth/login', { body: { email, password } }),
    onSuccess: done,
  });
  if (token && !m.isSuccess) return <Navigate to="/" replace />;
  const fe = fieldErrors(m.error);
  const unverified = m.error instanceof ApiError && m.error.code === 'email_not_verified';
  return (
    <AuthCard title="Sign in">
      <AuthForm onSubmit={() => m.mutate()} submit="Sign in" busy={m.isPending}>
        <EmailField value={email} onChange={setEmail} error={fe.email} />
        <PasswordField value={password} onChange={setPassword} error={fe.password} />
        {config.data?.emailEnabled ? (
          <p className="hint">
            <Link to="/forgot-password" state={{ email }}>
              Forgot password?
            </Link>
          </p>
        ) : null}
        <ErrorMessage error={m.error} inline={['email', 'password']} />
        {unverified ? (
          <p>
            <Link to="/verify-email" state={{ email }}>
              Send the verification link again
            </Link>
          </p>
        ) : null}
      </AuthForm>
      <p className="auth-switch">
        No account yet? {/* Where the visitor was headed (an invitation's link) is kept across the two pages. */}
        <Link to="/signup" state={location.state}>
          Sign up
        </Link>
      </p>
      <p className="auth-switch">
        <Link to="/pricing">See pricing</Link>
      </p>
    </AuthCard>
  );
}
