import { z } from 'zod';
import { authResponse, registerBody } from './auth.js';

/** The first super admin: the one-time token the server printed, and the account, as at sign-up. */
export const setupBody = registerBody.extend({
  token: z
    .string()
    .min(1)
    .max(200)
    .meta({ description: 'The one-time token of the link the server printed at start (`/setup?token=...`).' }),
});

export const setupResponse = authResponse;

export const setupStatus = z
  .object({
    required: z.boolean().meta({ description: 'True while the service has no super admin.' }),
    builtin: z.boolean().meta({
      description:
        'False with built-in sign-in off (AUTH_BUILTIN=false): no setup link is printed and POST /api/setup is 403; administrators are named by the platform’s role claim or `credits users set-role`.',
    }),
  })
  .meta({ id: 'SetupStatus' });
