/** What the account flows need from a mail service (implemented in integrations/mail). */
export interface Mail {
  to: string;
  subject: string;
  text: string;
}

/**
 * Hands a mail over for sending without waiting for it: the answer to the request that
 * caused it does not depend on the mail server (nor on whether a mail was sent at all,
 * which would tell an account exists). Failures are the dispatcher's to log.
 */
export type SendMail = (mail: Mail) => void;

/** Where the links in mails point: the dashboard's public address. */
export interface AccountLinks {
  verifyEmail(token: string): string;
  resetPassword(token: string): string;
  /** The dashboard's page that accepts an organisation's invitation (shared/UI.md "Accounts"). */
  acceptInvitation(token: string): string;
}

/** Links into the dashboard at `base`; the token rides in the fragment, which no server or log sees. */
export function accountLinks(base: () => string): AccountLinks {
  return {
    verifyEmail: (token) => `${base()}/verify-email#token=${token}`,
    resetPassword: (token) => `${base()}/reset-password#token=${token}`,
    acceptInvitation: (token) => `${base()}/accept-invitation#token=${token}`,
  };
}
