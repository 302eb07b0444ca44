/**
 * Labelled form fields that show what the API said about them: the sentence of their entry
 * in a validation error's `details.fields` (or a check of the form's own) under the input,
 * tied to it with aria-describedby and aria-invalid. `Field` is an input or a textarea,
 * `SelectField` a select, `CheckField` a checkbox with its label.
 */
import { type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes, useId } from 'react';
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

/** The label, the control (given the ids and aria attributes it needs) and the hint and error under it. */
function Labelled({
  label,
  error,
  hint,
  className,
  children,
}: Common & { children(aria: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }): ReactNode }) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label htmlFor={id}>{label}</label>
      {children({ id, ...(error ? { 'aria-invalid': true as const } : {}), ...(describedBy ? { 'aria-describedby': describedBy } : {}) })}
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

type InputProps = Common & { multiline?: false } & Omit<InputHTMLAttributes<HTMLInputElement>, 'className'>;
type TextareaProps = Common & { multiline: true } & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'className'>;

export function Field(props: InputProps | TextareaProps) {
  const { label, error, hint, className, multiline, ...rest } = props;
  return (
    <Labelled label={label} error={error} hint={hint} className={className}>
      {(aria) =>
        multiline ? (
          <textarea {...(rest as TextareaHTMLAttributes<HTMLTextAreaElement>)} {...aria} />
        ) : (
          <input {...(rest as InputHTMLAttributes<HTMLInputElement>)} {...aria} />
        )
      }
    </Labelled>
  );
}

type TextProps = Common &
  Omit<InputHTMLAttributes<HTMLInputElement>, 'className' | 'onChange' | 'onBlur' | 'value'> & {
    value: string;
    onChange(value: string): void;
    onBlur?(value: string): void;
  };

/** A text input given and giving its text (`onChange(text)`, `onBlur(text)`). */
export function TextField({ onChange, onBlur, ...props }: TextProps) {
  return <Field {...props} onChange={(e) => onChange(e.target.value)} onBlur={onBlur ? (e) => onBlur(e.target.value) : undefined} />;
}

type NumberProps = Common &
  Omit<InputHTMLAttributes<HTMLInputElement>, 'className' | 'type' | 'onChange' | 'value'> & {
    value: string;
    onChange(value: string): void;
  };

/** A number field holding the text as typed (so an empty or partial number stays as it is). */
export function NumberField({ onChange, ...props }: NumberProps) {
  return <Field type="number" {...props} onChange={(e) => onChange(e.target.value)} />;
}

/** An amount of credits: up to 3 decimals. */
export function CreditsField(props: NumberProps) {
  return <NumberField step="0.001" inputMode="decimal" {...props} />;
}

/** A number of whole days, 1 or more: how long credits last, blank for never (its hint by default). */
export function DaysField({ hint = 'Blank: never', ...props }: Omit<NumberProps, 'min' | 'step'>) {
  return <NumberField min="1" step="1" hint={hint} {...props} />;
}

type SelectProps = Common & Omit<SelectHTMLAttributes<HTMLSelectElement>, 'className'> & { children: ReactNode };

/** A labelled select; `className="field-inline"` puts the label beside it (filters in a card's head). */
export function SelectField({ label, error, hint, className, children, ...rest }: SelectProps) {
  return (
    <Labelled label={label} error={error} hint={hint} className={className}>
      {(aria) => (
        <select {...rest} {...aria}>
          {children}
        </select>
      )}
    </Labelled>
  );
}

/** A filter over a closed list of the contract: "All …" and each value in words. */
export function FilterSelect<T extends string>({
  label,
  all,
  options,
  value,
  onChange,
  words,
}: {
  label: string;
  /** The first option, for no filter: "All types". */
  all: string;
  options: readonly T[];
  value: NoInfer<T> | '';
  onChange(v: NoInfer<T> | ''): void;
  words(v: string): string;
}) {
  return (
    <SelectField label={label} className="field-inline" value={value} onChange={(e) => onChange(e.target.value as T | '')}>
      <option value="">{all}</option>
      {options.map((o) => (
        <option key={o} value={o}>
          {words(o)}
        </option>
      ))}
    </SelectField>
  );
}

/** A checkbox with its label after it. */
export function CheckField({ label, checked, onChange }: { label: string; checked: boolean; onChange(checked: boolean): void }) {
  const id = useId();
  return (
    <div className="check">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}
