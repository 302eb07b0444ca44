/** The button rows that end forms and dialogs, and the small buttons of card heads and table rows. */
import { type ReactNode, useState } from 'react';

/** Ref callback that moves focus to an element when it appears ("Close" after a step completes). */
function focusOnMount(el: HTMLElement | null): void {
  el?.focus();
}

/** A form's submit button (disabled while it runs, or when `disabled`). */
export function SubmitActions({ label, busy, disabled, plain }: { label: string; busy: boolean; disabled?: boolean; plain?: boolean }) {
  return (
    <div className="actions">
      <button type="submit" className={plain ? 'button' : 'button button-primary'} disabled={busy || disabled}>
        {label}
      </button>
    </div>
  );
}

/** A dialog form's buttons: "Cancel" and its submit button (disabled while it runs). */
export function DialogActions({ onCancel, submit, busy, danger }: { onCancel(): void; submit: string; busy: boolean; danger?: boolean }) {
  return (
    <div className="actions">
      <button type="button" className="button button-ghost" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className={danger ? 'button button-danger' : 'button button-primary'} disabled={busy}>
        {submit}
      </button>
    </div>
  );
}

/** The "Close" button that ends a dialog once its work is done; it takes the focus when it appears. */
export function CloseButton({ onClose }: { onClose(): void }) {
  return (
    <div className="actions">
      <button type="button" className="button button-primary" onClick={onClose} ref={focusOnMount}>
        Close
      </button>
    </div>
  );
}

/**
 * A small button: "New key" beside a card's title (`tone="primary"`), "Edit" or "Revoke" on a
 * row of a table. `label` is its accessible name when the text alone does not say which row
 * it acts on ("Edit" → "Edit Starter").
 */
export function SmallButton({
  children,
  onClick,
  label,
  tone,
  disabled,
}: {
  children: ReactNode;
  onClick(): void;
  label?: string;
  tone?: 'primary' | 'danger';
  disabled?: boolean;
}) {
  return (
    <button
      type="button"
      className={tone ? `button button-small button-${tone}` : 'button button-small'}
      onClick={onClick}
      disabled={disabled}
      aria-label={label}
    >
      {children}
    </button>
  );
}

/**
 * The button that opens a dialog: beside a card's title ("New key", "New endpoint"; primary),
 * or on a table's row (`row`: a plain "Edit", named by `label`). `dialog` is mounted while it
 * is open (a `Dialog` opens when mounted) and given `close`, which unmounts it (on "Cancel",
 * or once its work is done).
 */
export function DialogButton({
  children,
  dialog,
  label,
  row,
}: {
  children: string;
  dialog(close: () => void): ReactNode;
  label?: string;
  row?: boolean;
}) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <SmallButton tone={row ? undefined : 'primary'} label={label} onClick={() => setOpen(true)}>
        {children}
      </SmallButton>
      {open ? dialog(() => setOpen(false)) : null}
    </>
  );
}
