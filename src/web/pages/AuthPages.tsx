import { useMutation } from '@tanstack/react-query';
import { type ChangeEvent, type FormEvent, type ReactNode, useState } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { post } from '../api/client';
import type { User } from '../api/types';
import { useAuth } from '../auth';
import { Field, fieldErrors } from '../components/Field';
import { ErrorMessage } from '../components/ui';

export interface AuthAnswer {
  user: User;
  token: string;
}

export interface NewAccount {
  name: string;
  email: string;
  password: string;
}

/** Name, email and a new password, each with the API's sentence under it; then the other errors. */
export function NewAccountFields({ value, onChange, error }: { value: NewAccount; onChange(v: NewAccount): void; error: unknown }) {
  const fe = fieldErrors(error);
  const set = (k: keyof NewAccount) => (e: ChangeEvent<HTMLInputElement>) => onChange({ ...value, [k]: e.target.value });
  return (
    <>
      <Field label="Name" type="text" name="name" autoComplete="name" required maxLength={100} value={value.name} onChange={set('name')} error={fe.name} />
      <Field label="Email" type="email" name="email" autoComplete="email" required value={value.email} onChange={set('email')} error={fe.email} />
      <Field
        label="Password"
        type="password"
        name="password"
        autoComplete="new-password"
        required
        minLength={8}
        hint="At least 8 characters."
        value={value.password}
        onChange={set('password')}
        error={fe.password}
      />
      <ErrorMessage error={error} inline={['name', 'email', 'password']} />
    </>
  );
}

export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="auth-page">
      <main id="main" className="auth-card">
        <p className="brand brand-large">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          Credit billing
        </p>
        <h1>{title}</h1>
        {children}
      </main>
    </div>
  );
}

function useAfterAuth() {
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  return (a: AuthAnswer) => {
    signIn(a.token, a.user);
    navigate(from && from !== '/signin' && from !== '/signup' ? from : '/credits', { replace: true });
  };
}

export function SignInPage() {
  const { token } = useAuth();
  const done = useAfterAuth();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const m = useMutation({
    mutationFn: () => post<AuthAnswer>('/api/auth/login', { email, password }),
    onSuccess: done,
  });
  if (token && !m.isSuccess) return <Navigate to="/" replace />;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate();
  };
  const fe = fieldErrors(m.error);
  return (
    <AuthCard title="Sign in">
      <form onSubmit={submit} className="stack" noValidate>
        <Field label="Email" type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} error={fe.email} />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={fe.password}
        />
        <ErrorMessage error={m.error} inline={['email', 'password']} />
        <button type="submit" className="button button-primary button-block" disabled={m.isPending}>
          Sign in
        </button>
      </form>
      <p className="auth-switch">
        No account yet? <Link to="/signup">Sign up</Link>
      </p>
    </AuthCard>
  );
}

export function SignUpPage() {
  const { token } = useAuth();
  const done = useAfterAuth();
  const [account, setAccount] = useState<NewAccount>({ name: '', email: '', password: '' });
  const m = useMutation({
    mutationFn: () => post<AuthAnswer>('/api/auth/register', account),
    onSuccess: done,
  });
  if (token && !m.isSuccess) return <Navigate to="/" replace />;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate();
  };
  return (
    <AuthCard title="Create your account">
      <form onSubmit={submit} className="stack" noValidate>
        <NewAccountFields value={account} onChange={setAccount} error={m.error} />
        <button type="submit" className="button button-primary button-block" disabled={m.isPending}>
          Create account
        </button>
      </form>
      <p className="auth-switch">
        Already have an account? <Link to="/signin">Sign in</Link>
      </p>
    </AuthCard>
  );
}
