import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { fieldErrors } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { AuthCard, AuthForm, NewPasswordField } from './AuthCard';
import { checkPassword, useFieldChecks } from './check-account';
import { useAfterAuth, useLinkToken } from './use-after-auth';

/** `/reset-password#token=...`: sets a new password with the mailed token, then signs in. */
export function ResetPasswordPage() {
  const linkToken = useLinkToken();
  const done = useAfterAuth();
  const [password, setPassword] = useState('');
  const m = useSubmitMutation({
    mutationFn: () => api('POST /api/auth/reset-password', { body: { token: linkToken ?? '', password } }),
    onSuccess: done,
  });
  const problem = checkPassword(password);
  const checks = useFieldChecks<'password'>(problem ? { password: problem } : {});
  const submit = () => {
    if (checks.ready()) m.mutate();
  };
  if (!linkToken) {
    return (
      <AuthCard title="Reset password">
        <p>This page needs the link from the reset mail.</p>
        <p>
          <Link to="/forgot-password">Ask for a reset link</Link>
        </p>
      </AuthCard>
    );
  }
  const fe = fieldErrors(m.error);
  return (
    <AuthCard title="Reset password">
      <AuthForm onSubmit={submit} submit="Set password" busy={m.isPending}>
        <NewPasswordField
          label="New password"
          value={password}
          onChange={setPassword}
          onBlur={(v) => checks.blur('password', v)}
          error={checks.errors.password ?? fe.password}
        />
        <ErrorMessage error={m.error} inline={['password', 'token']} />
        {fe.token ? (
          <div className="notice notice-error" role="alert">
            <p>
              {fe.token} <Link to="/forgot-password">Ask for a new link</Link>
            </p>
          </div>
        ) : null}
      </AuthForm>
    </AuthCard>
  );
}
