import { type Command, InvalidArgumentError } from 'commander';
import { withCore } from '../open-core.js';

const NAME = 'users list';

const ROLES = ['user', 'admin', 'super_admin'] as const;

/** `credits users list`: users with their role, newest first; `--role` and `--search` narrow it. */
export function usersListCommand(users: Command): void {
  users
    .command('list')
    .description('list users (newest first) with their role')
    .option('--role <role>', 'only this role: user, admin or super_admin', (v) => {
      if (!(ROLES as readonly string[]).includes(v)) throw new InvalidArgumentError('must be user, admin or super_admin');
      return v;
    })
    .option('--search <text>', 'only emails or names containing this')
    .option(
      '--limit <n>',
      'at most this many',
      (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a whole number >= 1');
        return n;
      },
      100,
    )
    .action(async (o: { role?: string; search?: string; limit: number }) => {
      await withCore(NAME, async (core) => {
        let q = core.database.db.selectFrom('users').select(['id', 'email', 'name', 'role', 'email_verified_at', 'created_at']);
        if (o.role) q = q.where('role', '=', o.role as (typeof ROLES)[number]);
        if (o.search) {
          const like = `%${o.search.toLowerCase()}%`;
          q = q.where((eb) => eb.or([eb(eb.fn('lower', ['email']), 'like', like), eb(eb.fn('lower', ['name']), 'like', like)]));
        }
        const rows = await q.orderBy('id', 'desc').limit(o.limit).execute();
        const table = rows.map((r) => [
          r.role,
          r.email,
          r.name,
          r.email_verified_at === null ? 'no' : 'yes',
          new Date(r.created_at).toISOString(),
          r.id,
        ]);
        const head = ['ROLE', 'EMAIL', 'NAME', 'VERIFIED', 'CREATED', 'ID'];
        const widths = head.map((h, i) => Math.max(h.length, ...table.map((row) => String(row[i]).length)));
        for (const row of [head, ...table])
          console.log(
            row
              .map((c, i) => String(c).padEnd(widths[i] as number))
              .join('  ')
              .trimEnd(),
          );
        console.log(`${rows.length} user(s)`);
      });
    });
}
