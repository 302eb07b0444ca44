/** Profiling aid (not part of `npm run bench`): the writer's debits over accounts of N grants on SQLite. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUser } from '../src/core/accounts/create-user.js';
import { createCore } from '../src/core/index.js';
import { LedgerKey } from '../src/core/ledger/hash.js';
import { keyLedger } from '../src/core/ledger/key-ledger.js';
import { LedgerWriter } from '../src/core/ledger/writer.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/open.js';

const DAY = 86_400_000;
const KEY = new LedgerKey('bench-grants-key-bench-grants-key-0123456789');
const grants = Number(process.argv[2] ?? 20);
const seconds = Number(process.argv[3] ?? 5);
const dir = mkdtempSync(join(tmpdir(), 'credits-prof-'));
const database = await openDatabase({ sqlitePath: join(dir, 'bench.db'), sqliteSynchronous: 'FULL' });
await migrateToLatest(database.db);
await keyLedger(database, KEY);
const core = createCore(database, { ledgerKey: KEY });
const users: string[] = [];
for (let i = 0; i < 50; i++) {
  const u = await createUser(core.writer, { email: `p${i}@bench`, name: 'bench', password: 'bench-password-1', role: 'user' });
  await Promise.all(
    Array.from({ length: grants }, (_, k) =>
      core.ledger.grant(u.id, 50_000_000, 'adjustment', { grant: { expiresAt: grants === 1 ? null : Date.now() + (30 + k) * DAY } }),
    ),
  );
  users.push(u.id);
}
await core.writer.close();
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.start');
const writer = new LedgerWriter(database, { ledgerKey: KEY });
const started = performance.now();
const end = started + seconds * 1000;
let n = 0;
await Promise.all(
  Array.from({ length: 64 }, async () => {
    while (performance.now() < end) {
      await writer.submit({
        kind: 'debit',
        userId: users[Math.floor(Math.random() * users.length)] as string,
        amountMc: 100,
        type: 'adjustment',
      });
      n++;
    }
  }),
);
await writer.close();
const { profile } = await session.post('Profiler.stop');
if (process.argv[4]) writeFileSync(process.argv[4], JSON.stringify(profile));
console.log(`${grants} grants: ${Math.round(n / ((performance.now() - started) / 1000))} debits/s`);
await database.close();
rmSync(dir, { recursive: true, force: true });
