/**
 * `/setup?token=...`: creates the first super admin with the one-time token the server
 * printed at start, then signs them in and opens the admin pages.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { ApiError, get, post } from '../api/client';
import { useAuth } from '../auth';
import { ErrorMessage, Loading } from '../components/ui';
import { type AuthAnswer, AuthCard, type NewAccount, NewAccountFields } from './AuthPages';

export function SetupPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const [account, setAccount] = useState<NewAccount>({ name: '', email: '', password: '' });
  const status = useQuery({
    queryKey: ['setup-status'],
    queryFn: ({ signal }) => get<{ required: boolean }>('/api/setup', signal),
    staleTime: 0,
  });
  const m = useMutation({
    mutationFn: () => post<AuthAnswer>('/api/setup', { token, ...account }),
    onSuccess: (a) => {
      signIn(a.token, a.user);
      navigate('/admin', { replace: true });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate();
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
  if (!token) {
    return (
      <AuthCard title="Set up">
        <p>
          Open the one-time link the server printed when it started (<code>/setup?token=…</code>). Or set{' '}
          <code>SUPER_ADMIN_EMAIL</code> and <code>SUPER_ADMIN_PASSWORD</code> and restart it.
        </p>
      </AuthCard>
    );
  }
  return (
    <AuthCard title="Create the super admin">
      <p className="muted">This account can do everything, including granting roles. The link works once.</p>
      <ErrorMessage error={status.error} />
      <form onSubmit={submit} className="stack" noValidate>
        <NewAccountFields value={account} onChange={setAccount} error={m.error} />
        {m.error instanceof ApiError && m.error.status === 401 ? (
          <p className="hint">Restart the server to print a new link while no super admin exists.</p>
        ) : null}
        <button type="submit" className="button button-primary button-block" disabled={m.isPending}>
          Create super admin
        </button>
      </form>
    </AuthCard>
  );
}
