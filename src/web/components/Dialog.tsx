import { type ReactNode, useEffect, useId, useRef } from 'react';
import { onSubmit as submitting } from '../lib/forms';
import { CloseButton } from './Actions';
import { Success } from './ui';

interface DialogProps {
  title: string;
  onClose(): void;
  children: ReactNode;
  /** Wider layout (the package grid). */
  wide?: boolean;
  description?: string;
}

/**
 * A modal dialog on the native <dialog> element: role dialog, named by its heading,
 * focus kept inside while open, Escape and a click on the backdrop close it. Mount it
 * to open it; unmount it to close.
 */
export function Dialog({ title, onClose, children, wide, description }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    const opener = document.activeElement as HTMLElement | null;
    if (!d.open) d.showModal();
    d.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => {
      if (d.open) d.close();
      opener?.focus?.();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={wide ? 'dialog dialog-wide' : 'dialog'}
      aria-labelledby={titleId}
      aria-describedby={description ? descId : undefined}
      onCancel={(e) => {
        e.preventDefault();
        closeRef.current();
      }}
      onMouseDown={(e) => {
        if (e.target === e.currentTarget) {
          const r = e.currentTarget.getBoundingClientRect();
          const inside = e.clientX >= r.left && e.clientX <= r.right && e.clientY >= r.top && e.clientY <= r.bottom;
          if (!inside) closeRef.current();
        }
      }}
    >
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => closeRef.current()}>
          <span aria-hidden="true">×</span>
        </button>
      </div>
      {description ? (
        <p id={descId} className="muted">
          {description}
        </p>
      ) : null}
      <div className="dialog-body">{children}</div>
    </dialog>
  );
}

/**
 * A dialog that is one form (its fields and buttons in `children`): `onSubmit` runs on submit,
 * the page staying; the browser's own checks are off, the API's sentences show under the fields.
 */
export function DialogForm({ onSubmit, children, ...dialog }: DialogProps & { onSubmit(): void }) {
  return (
    <Dialog {...dialog}>
      <form className="stack" onSubmit={submitting(onSubmit)} noValidate>
        {children}
      </form>
    </Dialog>
  );
}

/** A dialog's last step: what was done, and a "Close" button that takes the focus. */
export function DialogDone({ children, onClose }: { children: ReactNode; onClose(): void }) {
  return (
    <div className="stack">
      <Success>{children}</Success>
      <CloseButton onClose={onClose} />
    </div>
  );
}
