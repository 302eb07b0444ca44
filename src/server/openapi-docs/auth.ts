/**
 * What OpenAPI says of sign-up, sign-in and the first super admin, beyond the schemas
 * (merged into DOCS of server/openapi-docs.ts).
 */
import { type RouteDocs, refusing } from './route-doc.js';

const builtinNote = ' 403 `forbidden` when built-in sign-in is off (AUTH_BUILTIN=false).';

export const AUTH_DOCS: RouteDocs = {
  ...refusing([400, 403, 409, 429], {
    'POST /api/auth/register': {
      summary: 'Sign up',
      description:
        'The password must have at least 8 characters (else 400 `validation_error`, the reason in `details.fields`). With `PASSWORD_MIN_SCORE` above 0 (3 by default in production, 0 outside it) it must also not be easy to guess: common passwords, keyboard patterns, repeats and the email or name are refused the same way. ' +
        'Without REQUIRE_EMAIL_VERIFICATION: 201 with a token, 409 for a taken email. With it: 202 `verification_sent` whether the email is new or taken (nothing tells which), a link is mailed, and the sign-up bonus is granted when the address is verified.' +
        builtinNote,
    },
  }),
  ...refusing([401, 403, 429], {
    'POST /api/auth/login': {
      summary: 'Sign in',
      description:
        'A wrong password and an unknown email answer the same 401. At most 10 failed sign-ins per email from one client address in 15 minutes (then 429 with Retry-After); ' +
        'failures for one email from all clients together slow its sign-ins down (up to 2 s each) but never refuse them, so nobody can lock a user out. ' +
        'With REQUIRE_EMAIL_VERIFICATION, a correct password for an unverified address is 403 `email_not_verified`.' +
        builtinNote,
    },
  }),
  ...refusing([400, 403, 429], {
    'POST /api/auth/verify-email': {
      summary: 'Verify an email address with the mailed token',
      description:
        'The token from the verification link (valid once, for 24 hours). Verifies the address, grants the sign-up bonus if it was withheld, and signs in. An unknown, used or expired token is 400.' +
        builtinNote,
    },
    'POST /api/auth/reset-password': {
      summary: 'Set a new password with the mailed token',
      description:
        'The token from the reset link (valid once, for 30 minutes; only its hash is stored). The new password meets the sign-up policy; a refused password leaves the link usable. Also verifies the address, and signs in.' +
        builtinNote,
    },
  }),
  ...refusing([400, 403, 429, 503], {
    'POST /api/auth/verify-email/resend': {
      summary: 'Send a new verification link',
      description:
        'Mails a new link when the address has an unverified account; answers the same 202 in every case. At most 5 mails per address per hour.' +
        builtinNote,
    },
    'POST /api/auth/forgot-password': {
      summary: 'Mail a password-reset link',
      description:
        'Mails a single-use link (30 minutes) when the address has an account; answers the same 202 in every case. At most 5 mails per address per hour. 503 `email_unavailable` when no mail server is configured (GET /api/config says `emailEnabled`).' +
        builtinNote,
    },
  }),
  ...refusing([400, 401, 403, 429], {
    'POST /api/auth/password': {
      summary: 'Change the password',
      description:
        'The current password and a new one (under the sign-up policy: 400 `validation_error` naming `newPassword`). A wrong current password is 403 `forbidden` and counts as a failed sign-in (the same limits: 429 with Retry-After). ' +
        'Every token issued to the user before, on every instance, stops working (401); the answer carries a new token.' +
        builtinNote,
    },
  }),
  ...refusing([401, 403], {
    'POST /api/auth/logout': {
      summary: 'Sign out everywhere',
      description:
        'Ends every built-in token issued to the user so far, this one included, on every instance: each is 401 from now on. ' +
        'A token of the platform’s identity provider is ended by the provider, not here: signing out with one is 403 `forbidden` and changes nothing.',
    },
  }),
  ...refusing([401], {
    'GET /api/auth/me': {
      summary: 'The signed-in user',
      description:
        'The user of the Bearer token, with the role the token acts with: the role as it is now (a role change applies at once), or the one a platform token\u2019s role claim (AUTH_ROLE_CLAIM) grants while it says so.',
    },
  }),
  ...refusing([], {
    'GET /api/setup': {
      summary: 'Whether the first super admin is still to be created',
      description: 'Public. `required` is true while no super admin exists; the dashboard’s `/setup` page asks before showing its form.',
    },
  }),
  ...refusing([400, 401, 403, 409, 429], {
    'POST /api/setup': {
      summary: 'Create the first super admin with the one-time setup token',
      description:
        'While the service has no super admin, every start prints a link `/setup?token=...` (valid 24 hours, single use). ' +
        'This creates the super admin with that token and answers a session token, like sign-up. ' +
        'A wrong, used or expired token is 401 `unauthorized`; once a super admin exists, 409 `conflict`. ' +
        'Alternatively set `SUPER_ADMIN_EMAIL` and `SUPER_ADMIN_PASSWORD` and restart. ' +
        'With built-in sign-in off (AUTH_BUILTIN=false) no link is printed and this is 403 `forbidden`: the platform’s role claim (AUTH_ROLE_CLAIM) or `credits users set-role` names administrators.',
    },
  }),
};
