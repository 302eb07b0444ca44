/**
 * Overload: the metered route's capacity is measured first (64 connections, closed loop),
 * then the server process is offered twice that rate from 1,500 connections (open loop
 * until every connection waits) for several seconds, then normal load again. Past its
 * capacity the service sheds with 503 `overloaded` + Retry-After and nothing written; its
 * memory stays bounded; afterwards it serves normally again. Every request carries its own
 * Idempotency-Key: each one acknowledged (201) is in the ledger exactly once, each one shed
 * is not in it at all, and the ledger verifies. SQLite (FULL) and Postgres.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyLedger } from '../../src/core/ledger/verify.js';
import { activeDialects, createTestDb, type TestDb, usageRowsPerKey, testLedgerKey } from '../support/db.js';
import { Client, having } from '../support/server.js';
import { databaseEnv, kill9, type ServerProcess, spawnServer } from '../support/spawn-server.js';

const MESSAGE_MC = 100;

/**
 * On a machine with two or more CPUs and taskset, the server gets CPU 0 and this process
 * (the load generator) CPU 1: otherwise the two fight over the same cores and the client
 * may not manage to offer more than the server can take, which is no overload at all.
 */
const PIN = (() => {
  try {
    if (cpus().length < 2) return false;
    // Both CPUs must be ours to use (a container's cpuset may say otherwise).
    execFileSync('taskset', ['-c', '0', 'true']);
    execFileSync('taskset', ['-c', '1', 'true']);
    return true;
  } catch {
    return false;
  }
})();
const ALL_CPUS = `0-${cpus().length - 1}`;
const BONUS_CREDITS = 10_000_000;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

interface Phase {
  rps: number;
  /** Every key sent; those without an answer were cut off when the phase ended (applied or not). */
  sent: string[];
  statuses: Map<number, number>;
  acked: string[];
  shed: string[];
  other: string[];
  errors: number;
  timeouts: number;
  p99: number;
  maxRssMb: number;
  /** Why requests were shed (details.reason of the 503s). */
  reasons: Map<string, number>;
  /** The server's live heap (after a full GC) in MB, taken `probeAt` seconds into the phase. */
  liveHeapMb: number;
}

describe.each(await activeDialects())('overload at twice the capacity (%s)', (dialect) => {
  let db: TestDb;
  let server: ServerProcess;
  let token = '';
  let userId = '';
  beforeAll(async () => {
    db = await createTestDb(dialect, { synchronous: 'FULL' });
    if (PIN) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)]);
    server = await spawnServer(
      {
        SIGNUP_BONUS_CREDITS: String(BONUS_CREDITS),
        ...(process.env.MAX_INFLIGHT_REQUESTS ? { MAX_INFLIGHT_REQUESTS: process.env.MAX_INFLIGHT_REQUESTS } : {}),
        // WRITER_PIPELINE=2 runs it with the ledger writer's pipeline on (PostgreSQL; off by default), for comparison.
        ...(process.env.WRITER_PIPELINE ? { WRITER_PIPELINE: process.env.WRITER_PIPELINE } : {}),
        ...databaseEnv(db),
      },
      PIN ? { cpus: '0' } : {},
    );
    const reg = await new Client(server.url).post('/api/auth/register', {
      email: `overload-${dialect}@example.com`,
      password: 'overload-Lantern-42',
      name: 'Load',
    });
    token = having(reg.body, 'token').token;
    userId = having(reg.body, 'token').user.id;
  }, 60_000);
  afterAll(async () => {
    if (PIN) execFileSync('taskset', ['-a', '-p', '-c', ALL_CPUS, String(process.pid)]);
    if (server) await kill9(server.child);
    await db?.dispose();
  });

  /** One load phase; every request has its own key, recorded with its answer. */
  function phase(name: string, opts: { connections: number; seconds: number; overallRate?: number; probeAt?: number }): Promise<Phase> {
    let n = 0;
    const out: Phase = {
      rps: 0,
      sent: [],
      statuses: new Map(),
      acked: [],
      shed: [],
      other: [],
      errors: 0,
      timeouts: 0,
      p99: 0,
      maxRssMb: 0,
      reasons: new Map(),
      liveHeapMb: 0,
    };
    const probing =
      opts.probeAt === undefined
        ? Promise.resolve()
        : sleep(opts.probeAt * 1000)
            .then(() => server.liveMemory())
            .then((m) => {
              out.liveHeapMb = m.heapUsed / 2 ** 20;
            });
    const rss = setInterval(() => {
      out.maxRssMb = Math.max(out.maxRssMb, rssMb(server.child.pid as number));
    }, 100);
    return new Promise((resolve, reject) => {
      autocannon(
        {
          url: server.url,
          connections: opts.connections,
          duration: opts.seconds,
          ...(opts.overallRate ? { overallRate: opts.overallRate } : {}),
          timeout: 20,
          requests: [
            {
              method: 'POST',
              path: '/api/messages',
              setupRequest: (req, context) => {
                const key = `${name}-${n++}`;
                (context as { key?: string }).key = key;
                out.sent.push(key);
                return {
                  ...req,
                  headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
                  body: JSON.stringify({ to: '+15550001111', body: 'load' }),
                };
              },
              onResponse: (status, body, context) => {
                const key = (context as { key: string }).key;
                out.statuses.set(status, (out.statuses.get(status) ?? 0) + 1);
                if (status === 201) out.acked.push(key);
                else if (status === 503 && body.includes('"overloaded"')) {
                  out.shed.push(key);
                  const reason = /"reason":"([^"]+)"/.exec(body)?.[1] ?? '?';
                  out.reasons.set(reason, (out.reasons.get(reason) ?? 0) + 1);
                } else out.other.push(`${status} ${body.slice(0, 120)}`);
              },
            },
          ],
        },
        (err, r) => {
          clearInterval(rss);
          if (err) return reject(err);
          out.rps = r.requests.average;
          out.errors = r.errors;
          out.timeouts = r.timeouts;
          out.p99 = r.latency.p99;
          probing.then(() => resolve(out), reject);
        },
      );
    });
  }

  it('sheds with 503 overloaded, stays bounded, recovers, and loses nothing acknowledged', { timeout: 180_000 }, async () => {
    await phase('warm', { connections: 16, seconds: 1 });
    const base = await phase('base', { connections: 64, seconds: 3, probeAt: 2 });
    const capacity = base.acked.length / 3;
    expect(capacity).toBeGreaterThan(100);
    const over = await phase('over', { connections: 1500, seconds: 6, overallRate: Math.round(2 * capacity), probeAt: 4.5 });
    // A second without load between the phases, on purpose: the overload drains before 'after' measures.
    await sleep(1000);
    const after = await phase('after', { connections: 64, seconds: 3 });

    const summary = {
      capacity: Math.round(capacity),
      base: { rss: Math.round(base.maxRssMb), liveHeap: Math.round(base.liveHeapMb), p99: base.p99 },
      over: {
        offered: Math.round(2 * capacity),
        statuses: Object.fromEntries(over.statuses),
        shedBecause: Object.fromEntries(over.reasons),
        errors: over.errors,
        timeouts: over.timeouts,
        rss: Math.round(over.maxRssMb),
        liveHeap: Math.round(over.liveHeapMb),
        p99: over.p99,
      },
      after: { rps: Math.round(after.acked.length / 3), statuses: Object.fromEntries(after.statuses), rss: Math.round(after.maxRssMb) },
    };
    console.info(`[overload ${dialect}] ${JSON.stringify(summary)}`);

    // Past capacity it sheds, with the contract's answer, and nothing else goes wrong.
    expect(over.shed.length, JSON.stringify(summary)).toBeGreaterThan(0);
    expect(over.acked.length).toBeGreaterThan(0);
    for (const p of [base, over, after]) {
      expect(p.other, JSON.stringify(summary)).toEqual([]);
      expect(p.errors + p.timeouts, JSON.stringify(summary)).toBe(0);
    }
    // Bounded. What the server holds is measured after a full GC (see server-process.ts), in
    // the middle of each phase: live memory does not depend on when the GC last ran. Its RSS
    // does: it counts garbage not yet collected and freed pages kept, which grow with the rate
    // requests are served (CI saw the 'after' phase, 64 connections, at 428 MB against 414 MB
    // during the overload and 254 MB in 'base'), so a tight bound on it fails by chance.
    // Live: the over phase holds 1,500 sockets and at most MAX_INFLIGHT_REQUESTS requests in
    // progress; a socket and a 50-byte request take a few kB of heap, so 64 kB each is ample
    // room, and a queue beyond them or anything kept per request (CI answered 14,000 to 35,000
    // requests in the phase: 3 to 7 kB kept for each would pass the bound) breaks it.
    expect(over.liveHeapMb, JSON.stringify(summary)).toBeLessThan(base.liveHeapMb + (1500 * 64) / 1024);
    // RSS: only a gross bound, for memory outside the heap (buffers, the database driver's).
    expect(over.maxRssMb, JSON.stringify(summary)).toBeLessThan(base.maxRssMb * 2 + 150);
    // Recovered: normal load again is served in full, at a throughput like before.
    expect(after.shed).toEqual([]);
    expect(after.acked.length / 3).toBeGreaterThan(capacity * 0.5);

    // Requests cut off when the last phase ended may still be committing: the server is
    // killed (-9) before the ledger is read, so nothing can commit between the reads below
    // (waiting for the ledger to stand still for a while was not enough on a busy machine:
    // the balance was read 29 debits after the keys were counted). What it acknowledged is
    // committed; what it had in flight is not acknowledged, and counted as unanswered.
    await kill9(server.child);

    // Nothing acknowledged lost, nothing shed written.
    const counts = await usageRowsPerKey(db.database.db, userId);
    expect(
      [...counts.entries()].filter(([, n]) => n !== 1),
      'a key applied twice',
    ).toEqual([]);
    const acked = [...base.acked, ...over.acked, ...after.acked];
    expect(acked.filter((k) => counts.get(k) !== 1)).toEqual([]);
    expect(over.shed.filter((k) => counts.has(k))).toEqual([]);
    // Whatever else is in the ledger was sent but cut off unanswered when a phase ended.
    const answered = new Set([...acked, ...over.shed]);
    const unanswered = new Set([base, over, after].flatMap((p) => p.sent.filter((k) => !answered.has(k))));
    expect([...counts.keys()].filter((k) => !answered.has(k) && !unanswered.has(k) && !k.startsWith('warm-'))).toEqual([]);
    const acct = await db.database.db
      .selectFrom('user_credits')
      .select('balance_mc')
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(acct.balance_mc).toBe(BONUS_CREDITS * 1000 - counts.size * MESSAGE_MC);
    expect((await verifyLedger(db.database.db, testLedgerKey)).violations).toEqual([]);
  });
});
