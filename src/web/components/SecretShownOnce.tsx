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
  // 'failed': the browser refused the clipboard (permission, or no clipboard outside HTTPS): said, not an unhandled error.
  const [copied, setCopied] = useState<boolean | 'failed'>(false);
  return (
    <Dialog title={title} onClose={onClose}>
      <div className="stack">
        {children}
        <code className="secret" data-testid={testId}>
          {secret}
        </code>
        {copied === 'failed' ? (
          <p className="notice notice-error" role="alert">
            The browser did not let the page copy it: select it above and copy it yourself.
          </p>
        ) : null}
        <div className="actions">
          <button
            type="button"
            className="button"
            onClick={() => {
              const clipboard = navigator.clipboard as Clipboard | undefined;
              if (!clipboard) return setCopied('failed');
              clipboard.writeText(secret).then(
                () => setCopied(true),
                () => setCopied('failed'),
              );
            }}
          >
            {copied === true ? 'Copied' : 'Copy'}
          </button>
          <button type="button" className="button button-primary" onClick={onClose} ref={(el) => el?.focus()}>
            {closeLabel}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
