import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import { Link, useLocation } from 'react-router';
import { api } from '../../api/client';
import { ErrorMessage, Success } from '../../components/ui';
import { AuthCard, AuthForm, EmailField } from './AuthCard';

/** `/forgot-password`: mails a reset link (the answer is the same whether the address has an account). */
export function ForgotPasswordPage() {
  const location = useLocation();
  const [email, setEmail] = useState((location.state as { email?: string } | null)?.email ?? '');
  const m = useSubmitMutation({ mutationFn: () => api('POST /api/auth/forgot-password', { body: { email } }) });
  return (
    <AuthCard title="Forgot password?">
      <p>Give the email address of your account and we will mail you a link to choose a new password.</p>
      <AuthForm onSubmit={() => m.mutate()} submit="Send reset link" busy={m.isPending}>
        <EmailField value={email} onChange={setEmail} />
        <ErrorMessage error={m.error} />
        {m.isSuccess ? <Success>{m.data.message}</Success> : null}
      </AuthForm>
      <p className="auth-switch">
        Remembered it? <Link to="/signin">Sign in</Link>
      </p>
    </AuthCard>
  );
}
