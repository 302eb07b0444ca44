import { z } from 'zod';
import { freeText } from './common.js';
import { ROLES } from './enums.js';

export const roleSchema = z.enum(ROLES);

export const userSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string(),
    role: roleSchema,
    createdAt: z.string().meta({ format: 'date-time' }),
  })
  .meta({ id: 'User' });

/** An email address as sign-up takes it (the command line's `users create` too). */
export const emailAddress = z.string().trim().max(254).pipe(z.email());
const email = emailAddress;

/** Unknown fields (role, balance...) are ignored: a body cannot set them. */
export const registerBody = z.object({
  email,
  password: z.string().min(8, 'must be at least 8 characters').max(200),
  name: freeText({ min: 1, max: 100 }),
});

export const loginBody = z.object({
  email: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(200),
});

export const authResponse = z.object({ user: userSchema, token: z.string() });

/** REQUIRE_EMAIL_VERIFICATION: what registration answers, for a new address and a taken one alike. */
export const verificationSentResponse = z
  .object({
    status: z.literal('verification_sent'),
    message: z.string(),
  })
  .meta({ id: 'VerificationSent' });

/** The answer to a request for a mail: the same whether the address has an account or not. */
export const mailRequestedResponse = z.object({ status: z.literal('accepted'), message: z.string() }).meta({ id: 'MailRequested' });

const mailedToken = z.string().trim().min(1).max(200);

export const verifyEmailBody = z.object({ token: mailedToken });
export const emailOnlyBody = z.object({ email: z.string().trim().min(1).max(254) });
export const resetPasswordBody = z.object({
  token: mailedToken,
  password: z.string().min(8, 'must be at least 8 characters').max(200),
});
export const meResponse = z.object({ user: userSchema });

/** A password change: the current password, and the new one under the sign-up policy. */
export const changePasswordBody = z.object({
  currentPassword: z.string().min(1).max(200),
  newPassword: z.string().min(8, 'must be at least 8 characters').max(200),
});

/** Signing out: every built-in token of the user issued so far has ended. */
export const signedOutResponse = z.object({ status: z.literal('signed_out') }).meta({ id: 'SignedOut' });
