import { type ReactNode, useState } from 'react';
import { Dialog } from './Dialog';

/**
 * The dialog that shows a secret once, when it is made (a service API key, a webhook
 * endpoint's signing secret): what it is (`children`), the secret itself (`testId` names it
 * for tests), a "Copy" button ("Copied" once done; UI.md names it) and the one that closes, which
 * takes the focus. The server keeps only a hash or the secret itself out of reach, so this
 * is the only time it is seen.
 */
export function SecretShownOnce({
  title,
  secret,
  testId,
  closeLabel = 'Close',
  onClose,
  children,
}: {
  title: string;
  secret: string;
  testId: string;
  closeLabel?: string;
  onClose(): void;
  children: ReactNode;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <Dialog title={title} onClose={onClose}>
      <div className="stack">
        {children}
        <code className="secret" data-testid={testId}>
          {secret}
        </code>
        <div className="actions">
          <button
            type="button"
            className="button"
            onClick={() => {
              void navigator.clipboard?.writeText(secret).then(() => setCopied(true));
            }}
          >
            {copied ? 'Copied' : 'Copy'}
          </button>
          <button type="button" className="button button-primary" onClick={onClose} ref={(el) => el?.focus()}>
            {closeLabel}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
