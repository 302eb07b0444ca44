import type { ReactNode } from 'react';
import { ApiError } from '../../api/client';
import { Field, fieldErrors, TextField } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { onSubmit as submitting } from '../../lib/forms';
import type { FieldChecks } from './check-account';
import './auth.css';

export const PASSWORD_HINT = 'At least 8 characters and not easy to guess: a few uncommon words work well.';

/** The frame of the pages before sign-in: the brand and the page's title above its form. */
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

/**
 * The form of a page before sign-in: its fields and notices (`children`), then its one submit
 * button (`submit`, a primary one unless `plain`), disabled while `busy`. `onSubmit` runs with
 * the page staying; the browser's own checks are off, the page's sentences show under the fields.
 */
export function AuthForm({
  onSubmit,
  submit,
  busy,
  plain,
  children,
}: {
  onSubmit(): void;
  submit: string;
  busy: boolean;
  plain?: boolean;
  children: ReactNode;
}) {
  return (
    <form onSubmit={submitting(onSubmit)} className="stack" noValidate>
      {children}
      <button type="submit" className={plain ? 'button button-block' : 'button button-primary button-block'} disabled={busy}>
        {submit}
      </button>
    </form>
  );
}

export interface NewAccount {
  name: string;
  email: string;
  password: string;
}

/**
 * Name, email and a new password, each with its sentence under it: the browser's check
 * (`checks`, before anything is sent) or the API's (a refused field, and a taken email under
 * "Email"); then what concerns no field.
 */
export function NewAccountFields({
  value,
  onChange,
  error,
  checks,
}: {
  value: NewAccount;
  onChange(v: NewAccount): void;
  error: unknown;
  checks?: FieldChecks<keyof NewAccount>;
}) {
  const fe = fieldErrors(error);
  const taken = error instanceof ApiError && error.status === 409 && error.code === 'conflict';
  const local = checks?.errors ?? {};
  return (
    <>
      <Field
        label="Name"
        type="text"
        name="name"
        autoComplete="name"
        required
        maxLength={100}
        value={value.name}
        onChange={(e) => onChange({ ...value, name: e.target.value })}
        onBlur={(e) => checks?.blur('name', e.target.value)}
        error={local.name ?? fe.name}
      />
      <EmailField
        value={value.email}
        onChange={(v) => onChange({ ...value, email: v })}
        onBlur={(v) => checks?.blur('email', v)}
        error={local.email ?? fe.email ?? (taken ? `${error.message} Sign in instead, or use another email.` : undefined)}
      />
      <NewPasswordField
        label="Password"
        value={value.password}
        onChange={(v) => onChange({ ...value, password: v })}
        onBlur={(v) => checks?.blur('password', v)}
        error={local.password ?? fe.password}
      />
      {checks?.blocked ? (
        <div className="notice notice-error" role="alert">
          <p>Please correct the fields marked above.</p>
        </div>
      ) : (
        <ErrorMessage error={taken ? null : error} inline={['name', 'email', 'password']} />
      )}
    </>
  );
}

type AccountFieldProps = {
  value: string;
  onChange(v: string): void;
  onBlur?(v: string): void;
  error?: string | undefined;
};

/** A new password under the policy, with the policy as its hint. */
export function NewPasswordField({ label, ...props }: AccountFieldProps & { label: string }) {
  return (
    <TextField
      label={label}
      type="password"
      name="password"
      autoComplete="new-password"
      required
      minLength={8}
      hint={PASSWORD_HINT}
      {...props}
    />
  );
}

/** The password of an account, to sign in. */
export function PasswordField(props: AccountFieldProps) {
  return <TextField label="Password" type="password" name="password" autoComplete="current-password" required {...props} />;
}

/** An email field for the pages that mail a link. */
export function EmailField(props: AccountFieldProps) {
  return <TextField label="Email" type="email" name="email" autoComplete="email" required {...props} />;
}
