import { type Command, InvalidArgumentError } from 'commander';
import { normalizeEmail } from '../../core/accounts/create-user.js';
import { changeRole } from '../../core/accounts/change-role.js';
import type { Role } from '../../db/schema.js';
import { fail, withCore } from '../open-core.js';

const NAME = 'users set-role';

/**
 * `credits users set-role --email E --role R`: an operator's way to grant or take a role
 * (say, to make a new super admin when nobody can sign in as one). The last super admin
 * keeps the role here too; audited with no actor.
 */
export function usersSetRoleCommand(users: Command): void {
  users
    .command('set-role')
    .description("change a user's role (the last super admin cannot be demoted)")
    .requiredOption('--email <email>', "the user's email address")
    .requiredOption('--role <role>', 'user, admin or super_admin', (v) => {
      if (v !== 'user' && v !== 'admin' && v !== 'super_admin') throw new InvalidArgumentError('must be user, admin or super_admin');
      return v;
    })
    .action(async (o: { email: string; role: Role }) => {
      await withCore(NAME, async (core) => {
        const email = normalizeEmail(o.email);
        const user = await core.database.db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
        if (!user) fail(`users set-role: no user with the email ${email}`);
        try {
          const r = await changeRole(core.writer, { userId: user.id, role: o.role, actorId: null, dialect: core.database.dialect });
          console.log(r.from === r.to ? `${email} is already ${r.to}` : `${email}: ${r.from} -> ${r.to}`);
        } catch (e) {
          console.error(`users set-role: ${(e as Error).message}`);
          process.exitCode = 1;
        }
      });
    });
}
