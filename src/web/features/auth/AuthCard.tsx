import type { ReactNode } from 'react';
import { Field, fieldErrors } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
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

export interface NewAccount {
  name: string;
  email: string;
  password: string;
}

/** Name, email and a new password, each with the API's sentence under it; then the other errors. */
export function NewAccountFields({ value, onChange, error }: { value: NewAccount; onChange(v: NewAccount): void; error: unknown }) {
  const fe = fieldErrors(error);
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
        error={fe.name}
      />
      <EmailField value={value.email} onChange={(v) => onChange({ ...value, email: v })} error={fe.email} />
      <NewPasswordField label="Password" value={value.password} onChange={(v) => onChange({ ...value, password: v })} error={fe.password} />
      <ErrorMessage error={error} inline={['name', 'email', 'password']} />
    </>
  );
}

/** A new password under the policy, with the policy as its hint. */
export function NewPasswordField({
  label,
  value,
  onChange,
  error,
}: {
  label: string;
  value: string;
  onChange(v: string): void;
  error: string | undefined;
}) {
  return (
    <Field
      label={label}
      type="password"
      name="password"
      autoComplete="new-password"
      required
      minLength={8}
      hint={PASSWORD_HINT}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      error={error}
    />
  );
}

/** An email field for the pages that mail a link. */
export function EmailField({ value, onChange, error }: { value: string; onChange(v: string): void; error?: string | undefined }) {
  return (
    <Field
      label="Email"
      type="email"
      name="email"
      autoComplete="email"
      required
      value={value}
      onChange={(e) => onChange(e.target.value)}
      error={error}
    />
  );
}
