import { useMutation } from '@tanstack/react-query';
import { type ChangeEvent, type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';
import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError, post } from '../api/client';
import type { User } from '../api/types';
import { useAuth } from '../auth';
import { Field, fieldErrors } from '../components/Field';
import { ErrorMessage, Loading, Success } from '../components/ui';
import { useConfig } from '../queries';

export interface AuthAnswer {
  user: User;
  token: string;
}

interface VerificationSent {
  status: 'verification_sent';
  message: string;
}

const PASSWORD_HINT = 'At least 8 characters and not easy to guess: a few uncommon words work well.';

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
        hint={PASSWORD_HINT}
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
    navigate(from && !/^\/(signin|signup|setup|verify-email|reset-password|forgot-password)/.test(from) ? from : '/credits', { replace: true });
  };
}

/** The token of a mailed link: `#token=...` (never sent to a server, so never in a log). */
function useLinkToken(): string | null {
  const { hash } = useLocation();
  return new URLSearchParams(hash.replace(/^#/, '')).get('token');
}

export function SignInPage() {
  const { token } = useAuth();
  const done = useAfterAuth();
  const config = useConfig();
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
  const unverified = m.error instanceof ApiError && m.error.code === 'email_not_verified';
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
  const navigate = useNavigate();
  const [account, setAccount] = useState<NewAccount>({ name: '', email: '', password: '' });
  const m = useMutation({
    mutationFn: () => post<AuthAnswer | VerificationSent>('/api/auth/register', account),
    // With REQUIRE_EMAIL_VERIFICATION the answer is 202 without a token: check the inbox.
    onSuccess: (a) => {
      if ('token' in a) done(a);
      else navigate('/verify-email', { state: { email: account.email, sent: true } });
    },
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

/** `/verify-email`: uses the mailed link's token, or says to check the inbox and offers a new link. */
export function VerifyEmailPage() {
  const linkToken = useLinkToken();
  const location = useLocation();
  const state = location.state as { email?: string; sent?: boolean } | null;
  const done = useAfterAuth();
  const [email, setEmail] = useState(state?.email ?? '');
  const verify = useMutation({
    mutationFn: (t: string) => post<AuthAnswer>('/api/auth/verify-email', { token: t }),
    onSuccess: done,
  });
  const resend = useMutation({ mutationFn: () => post<{ message: string }>('/api/auth/verify-email/resend', { email }) });
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
  const submit = (e: FormEvent) => {
    e.preventDefault();
    resend.mutate();
  };
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
      <form onSubmit={submit} className="stack" noValidate>
        <Field label="Email" type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <ErrorMessage error={resend.error} />
        {resend.isSuccess ? <Success>{resend.data.message}</Success> : null}
        <button type="submit" className="button button-block" disabled={resend.isPending}>
          Send the link again
        </button>
      </form>
      <p className="auth-switch">
        <Link to="/signin">Sign in</Link>
      </p>
    </AuthCard>
  );
}

/** `/forgot-password`: mails a reset link (the answer is the same whether the address has an account). */
export function ForgotPasswordPage() {
  const location = useLocation();
  const [email, setEmail] = useState((location.state as { email?: string } | null)?.email ?? '');
  const m = useMutation({ mutationFn: () => post<{ message: string }>('/api/auth/forgot-password', { email }) });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate();
  };
  return (
    <AuthCard title="Forgot password?">
      <p>Give the email address of your account and we will mail you a link to choose a new password.</p>
      <form onSubmit={submit} className="stack" noValidate>
        <Field label="Email" type="email" name="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <ErrorMessage error={m.error} />
        {m.isSuccess ? <Success>{m.data.message}</Success> : null}
        <button type="submit" className="button button-primary button-block" disabled={m.isPending}>
          Send reset link
        </button>
      </form>
      <p className="auth-switch">
        Remembered it? <Link to="/signin">Sign in</Link>
      </p>
    </AuthCard>
  );
}

/** `/reset-password#token=...`: sets a new password with the mailed token, then signs in. */
export function ResetPasswordPage() {
  const linkToken = useLinkToken();
  const done = useAfterAuth();
  const [password, setPassword] = useState('');
  const m = useMutation({
    mutationFn: () => post<AuthAnswer>('/api/auth/reset-password', { token: linkToken ?? '', password }),
    onSuccess: done,
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate();
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
  const tokenProblem = fe.token;
  return (
    <AuthCard title="Reset password">
      <form onSubmit={submit} className="stack" noValidate>
        <Field
          label="New password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          minLength={8}
          hint={PASSWORD_HINT}
          error={fe.password}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorMessage error={m.error} inline={['password', 'token']} />
        {tokenProblem ? (
          <div className="notice notice-error" role="alert">
            <p>
              {tokenProblem} <Link to="/forgot-password">Ask for a new link</Link>
            </p>
          </div>
        ) : null}
        <button type="submit" className="button button-primary button-block" disabled={m.isPending}>
          Set password
        </button>
      </form>
    </AuthCard>
  );
}
