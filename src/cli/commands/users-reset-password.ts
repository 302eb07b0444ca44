import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { normalizeEmail } from '../../core/accounts/create-user.js';
import { setPassword } from '../../core/accounts/set-password.js';
import { withCore } from '../open-core.js';

const NAME = 'users reset-password';

/**
 * `credits users reset-password --email E [--password P]`: sets a new password under the
 * sign-up policy; without --password one is generated and printed once (a password on the
 * command line stays in the shell's history).
 */
export function usersResetPasswordCommand(users: Command): void {
  users
    .command('reset-password')
    .description("set a user's password (generated and printed when --password is not given)")
    .requiredOption('--email <email>', "the user's email address")
    .option('--password <password>', 'the new password (at least 8 characters, not easy to guess)')
    .action(async (o: { email: string; password?: string }) => {
      const password = o.password ?? randomBytes(18).toString('base64url');
      await withCore(NAME, async (core, config) => {
        const email = normalizeEmail(o.email);
        try {
          await setPassword(core.writer, email, password, config.passwordMinScore);
          console.log(o.password ? `password of ${email} changed` : `password of ${email} changed to: ${password}`);
        } catch (e) {
          console.error(`users reset-password: ${(e as Error).message}`);
          process.exitCode = 1;
        }
      });
    });
}
