/**
 * `/setup?token=...`: creates the first super admin with the one-time token the server
 * printed at start, then signs them in and opens the admin pages.
 */
import { useQuery } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ApiError, api } from '../../api/client';
import { ErrorMessage, Loading } from '../../components/ui';
import { keys } from '../../lib/query-keys';
import { useSession } from '../../lib/session';
import { AuthCard, AuthForm, type NewAccount, NewAccountFields } from './AuthCard';
import { checkNewAccount, useFieldChecks } from './check-account';

export function SetupPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const { signIn } = useSession();
  const navigate = useNavigate();
  const [account, setAccount] = useState<NewAccount>({ name: '', email: '', password: '' });
  const status = useQuery({
    queryKey: keys.setupStatus,
    queryFn: ({ signal }) => api('GET /api/setup', { signal }),
    staleTime: 0,
  });
  const m = useSubmitMutation({
    mutationFn: () => api('POST /api/setup', { body: { token, ...account } }),
    onSuccess: (a) => {
      signIn(a.token, a.user);
      navigate('/admin', { replace: true });
    },
  });
  const checks = useFieldChecks(checkNewAccount(account));
  // Checked in the browser first: nothing is sent while a field is wrong.
  const submit = () => {
    if (checks.ready()) m.mutate();
  };

  if (status.isPending) {
    return (
      <AuthCard title="Set up">
        <Loading />
      </AuthCard>
    );
  }
  const done = (status.data && !status.data.required) || (m.error instanceof ApiError && m.error.status === 409);
  if (done && !m.isSuccess) {
    return (
      <AuthCard title="Already set up">
        <p>This service already has a super admin. Sign in with that account, or ask its owner for access.</p>
        <p className="auth-switch">
          <Link to="/signin">Sign in</Link>
        </p>
      </AuthCard>
    );
  }
  if (status.data && !status.data.builtin) {
    return (
      <AuthCard title="Set up">
        <p>
          Sign-in on this service is through the platform's identity provider (<code>AUTH_BUILTIN=false</code>), so there is no setup link:
          an administrator is named by the platform's role claim (<code>AUTH_ROLE_CLAIM</code>) or on the server with{' '}
          <code>credits users set-role</code>.
        </p>
      </AuthCard>
    );
  }
  if (!token) {
    return (
      <AuthCard title="Set up">
        <p>
          Open the one-time link the server printed when it started (<code>/setup?token=…</code>). Or set <code>SUPER_ADMIN_EMAIL</code> and{' '}
          <code>SUPER_ADMIN_PASSWORD</code> and restart it.
        </p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Create the super admin">
      <p className="muted">This account can do everything, including granting roles. The link works once.</p>
      <ErrorMessage error={status.error} />
      <AuthForm onSubmit={submit} submit="Create super admin" busy={m.isPending}>
        <NewAccountFields value={account} onChange={setAccount} error={m.error} checks={checks} />
        {m.error instanceof ApiError && m.error.status === 401 ? (
          <p className="hint">Restart the server to print a new link while no super admin exists.</p>
        ) : null}
      </AuthForm>
    </AuthCard>
  );
}
