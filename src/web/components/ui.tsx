import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import { creditsText, formatCredits } from '../lib/format';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/**
 * An API error as a sentence; a 402 as the friendly "You need more credits" prompt. A
 * validation error's sentences for the fields listed in `inline` are shown under those
 * fields (see Field); this notice then only points at them and says the rest.
 */
export function ErrorMessage({ error, inline = [] }: { error: unknown; inline?: readonly string[] }) {
  if (!error) return null;
  if (error instanceof ApiError && error.code === 'member_limit_exceeded') return <MemberLimit error={error} />;
  if (error instanceof ApiError && error.status === 402) return <NeedCredits error={error} />;
  const fields =
    error instanceof ApiError && error.code === 'validation_error'
      ? ((error.details?.fields ?? []) as { path: string; field?: string; message: string }[])
      : [];
  const rest = fields.filter((f) => f.field === undefined || !inline.includes(f.field));
  let message = error instanceof Error ? error.message : String(error);
  if (fields.length > 0) {
    message = rest.length < fields.length ? 'Please correct the fields marked above.' : '';
  }
  return (
    <div className="notice notice-error" role="alert">
      {message ? <p>{message}</p> : null}
      {rest.length > 0 ? (
        <ul>
          {rest.map((f) => (
            <li key={`${f.path}:${f.message}`}>{f.message}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

export function NeedCredits({ error }: { error: ApiError }) {
  const required = typeof error.details?.required === 'number' ? error.details.required : undefined;
  const available = typeof error.details?.available === 'number' ? error.details.available : undefined;
  return (
    <div className="notice notice-warning" role="alert">
      <p>
        <strong>You need more credits.</strong>{' '}
        {required !== undefined && available !== undefined
          ? `This needs ${creditsText(required)} and you have ${formatCredits(available)} available.`
          : 'Your available balance does not cover this operation.'}{' '}
        Nothing was charged.
      </p>
      <p>
        <Link to="/credits" className="button button-small">
          Top up your balance
        </Link>
      </p>
    </div>
  );
}

/** 402 `member_limit_exceeded`: the organisation has the credits, but this member's monthly limit does not allow the charge. */
export function MemberLimit({ error }: { error: ApiError }) {
  const n = (k: string) => (typeof error.details?.[k] === 'number' ? (error.details[k] as number) : undefined);
  const limit = n('limit');
  const used = n('used');
  const required = n('required');
  return (
    <div className="notice notice-warning" role="alert">
      <p>
        <strong>You reached your monthly limit.</strong>{' '}
        {limit !== undefined && used !== undefined && required !== undefined
          ? `This needs ${creditsText(required)}, and you have used ${formatCredits(used)} of your ${creditsText(limit)} this month.`
          : 'This charge would take your spending this month past the limit your organisation set.'}{' '}
        Nothing was charged. An owner or admin of the organisation can raise your limit; it starts again on the 1st (UTC).
      </p>
    </div>
  );
}

export function Success({ children }: { children: ReactNode }) {
  return (
    <div className="notice notice-success" role="status">
      <p>{children}</p>
    </div>
  );
}

export function Stat({ label, value, hint, tone }: { label: string; value: ReactNode; hint?: ReactNode; tone?: 'warn' | 'ok' }) {
  return (
    <div className={`stat${tone ? ` stat-${tone}` : ''}`}>
      <dt>{label}</dt>
      <dd>
        {value}
        {hint ? <span className="stat-hint">{hint}</span> : null}
      </dd>
    </div>
  );
}

/** A badge wears the tone of the notices of its kind. */
const BADGE_TONES = {
  neutral: '',
  accent: ' notice-info',
  ok: ' notice-success',
  warn: ' notice-warning',
  danger: ' notice-error',
} as const;

export function Badge({ children, tone = 'neutral' }: { children: ReactNode; tone?: keyof typeof BADGE_TONES }) {
  return <span className={`badge${BADGE_TONES[tone]}`}>{children}</span>;
}

export function statusTone(status: string): 'neutral' | 'accent' | 'warn' | 'ok' | 'danger' {
  switch (status) {
    case 'succeeded':
      return 'ok';
    case 'failed':
    case 'disputed':
      return 'danger';
    case 'refunded':
    case 'partially_refunded':
      return 'warn';
    default:
      return 'neutral';
  }
}
