import { useMutation } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useEffect, useRef, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { api } from '../../api/client';
import { ErrorMessage, Loading, Success } from '../../components/ui';
import { AuthCard, AuthForm, EmailField } from './AuthCard';
import { useAfterAuth, useLinkToken } from './use-after-auth';

/** `/verify-email`: uses the mailed link's token, or says to check the inbox and offers a new link. */
export function VerifyEmailPage() {
  const linkToken = useLinkToken();
  const location = useLocation();
  const state = location.state as { email?: string; sent?: boolean } | null;
  const done = useAfterAuth();
  const [email, setEmail] = useState(state?.email ?? '');
  const verify = useMutation({
    mutationFn: (token: string) => api('POST /api/auth/verify-email', { body: { token } }),
    onSuccess: done,
  });
  const resend = useSubmitMutation({ mutationFn: () => api('POST /api/auth/verify-email/resend', { body: { email } }) });
  const started = useRef(false);
  useEffect(() => {
    if (linkToken && !started.current) {
      started.current = true;
      verify.mutate(linkToken);
    }
  }, [linkToken, verify]);

  if (linkToken && !verify.isError) {
    return (
      <AuthCard title="Verify your email">
        <Loading label="Verifying your email address…" />
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Verify your email">
      {verify.isError ? <ErrorMessage error={verify.error} /> : null}
      {state?.sent ? (
        <Success>
          We sent a link to {state.email}. Open it to verify your address and finish signing up; it works once, for 24 hours.
        </Success>
      ) : (
        <p>Open the link we mailed you to verify your address. No mail? Ask for a new link.</p>
      )}
      <AuthForm onSubmit={() => resend.mutate()} submit="Send the link again" busy={resend.isPending} plain>
        <EmailField value={email} onChange={setEmail} />
        <ErrorMessage error={resend.error} />
        {resend.isSuccess ? <Success>{resend.data.message}</Success> : null}
      </AuthForm>
      <p className="auth-switch">
        <Link to="/signin">Sign in</Link>
      </p>
    </AuthCard>
  );
}
