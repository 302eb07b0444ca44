/**
 * A labelled form field that shows what the API said about it: the sentence of its entry
 * in a validation error's `details.fields` (or a check of the form's own) under the input,
 * tied to it with aria-describedby and aria-invalid.
 */
import { type InputHTMLAttributes, type ReactNode, type TextareaHTMLAttributes, useId } from 'react';
import { ApiError } from '../api/client';

/** The sentences of a validation error by field (`password`, `autoRecharge.packageId`). */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError) || error.code !== 'validation_error') return {};
  const fields = (error.details?.fields ?? []) as { field?: string; message?: string }[];
  const out: Record<string, string> = {};
  for (const f of fields) {
    if (typeof f.field === 'string' && typeof f.message === 'string' && !(f.field in out)) out[f.field] = f.message;
  }
  return out;
}

interface Common {
  label: string;
  /** The sentence shown under the field, when something is wrong with it. */
  error?: string | null | undefined;
  hint?: ReactNode;
  className?: string;
}

type InputProps = Common & { multiline?: false } & Omit<InputHTMLAttributes<HTMLInputElement>, 'className'>;
type TextareaProps = Common & { multiline: true } & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'className'>;

export function Field(props: InputProps | TextareaProps) {
  const id = useId();
  const { label, error, hint, className, multiline, ...rest } = props;
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  const aria = { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy };
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label htmlFor={id}>{label}</label>
      {multiline ? (
        <textarea {...(rest as TextareaHTMLAttributes<HTMLTextAreaElement>)} {...aria} />
      ) : (
        <input {...(rest as InputHTMLAttributes<HTMLInputElement>)} {...aria} />
      )}
      {hint ? (
        <p id={hintId} className="hint">
          {hint}
        </p>
      ) : null}
      {error ? (
        <p id={errorId} className="hint hint-error">
          {error}
        </p>
      ) : null}
    </div>
  );
}
