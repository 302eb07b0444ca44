/**
 * Preload for bench/prof-pg-batch.ts (`node --import ./bench/pg-trace.mjs bench/server.mjs`):
 * times every query node-postgres sends, from the call to its answer, by kind (the first
 * words of its text), and the writer's batches as the span from a `begin` to its
 * `commit` on one connection, with its round trips (a query sent while an earlier one on its
 * connection is unanswered, node-postgres's pipeline mode, shares that one's). Writes the figures as JSON to $PG_TRACE_OUT on SIGUSR2.
 */
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const require = createRequire(`${process.cwd()}/package.json`);
const pg = require('pg');

const kinds = new Map();
/** Per connection, the batch in progress: when its begin was called and each step's time. */
const open = new WeakMap();
const batches = [];
let lastCommitDone = 0;
let started = 0;

function kindOf(text) {
  const t = String(text).trim().toLowerCase().replace(/\s+/g, ' ');
  if (t.startsWith('with tx as') || t.startsWith('with ')) return 'write (with ... select 1)';
  if (t.startsWith('select') && t.includes('for update') && t.includes('user_credits')) return 'lock accounts (select ... for update)';
  if (t.startsWith('select pg_notify')) return 'pg_notify';
  return t.slice(0, 48);
}

/** Connections that ran a writer transaction (sent `begin`). */
const writers = new WeakSet();

/** Per connection, queries sent and not yet answered: a query sent while one is counts no round trip of its own. */
const unanswered = new WeakMap();

const orig = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, values, callback) {
  const text = typeof config === 'string' ? config : config?.text;
  let kind = kindOf(text);
  // NOTIFY in a writer transaction (sent before its commit), after one on its connection, or on another connection.
  if (kind === 'pg_notify')
    kind = open.get(this)
      ? 'pg_notify (in the batch)'
      : writers.has(this)
        ? 'pg_notify (autocommit, on the writer connection after its commit)'
        : 'pg_notify (autocommit, on the pool)';
  if (kind === 'begin') writers.add(this);
  const t0 = performance.now();
  const withEarlier = (unanswered.get(this) ?? 0) > 0;
  unanswered.set(this, (unanswered.get(this) ?? 0) + 1);
  if (!started) started = t0;
  const done = () => {
    unanswered.set(this, (unanswered.get(this) ?? 1) - 1);
    const t1 = performance.now();
    const k = kinds.get(kind) ?? { n: 0, ms: 0 };
    k.n++;
    k.ms += t1 - t0;
    kinds.set(kind, k);
    if (kind === 'begin') {
      open.set(this, { begin: t0, idleBefore: lastCommitDone ? t0 - lastCommitDone : 0, trips: 1, steps: [['begin', t1 - t0]] });
    } else {
      const b = open.get(this);
      if (b) {
        if (!withEarlier) b.trips++;
        b.steps.push([withEarlier ? `${kind} (sent with the one before)` : kind, t1 - t0, Math.max(0, t0 - (b.lastEnd ?? t0))]);
        if (kind === 'commit' || kind === 'rollback') {
          b.end = t1;
          batches.push(b);
          open.delete(this);
          lastCommitDone = t1;
        }
      }
    }
    if (open.get(this)) open.get(this).lastEnd = t1;
  };
  // A query with a callback (pg-pool's own pool.query passes one) returns no promise: its answer is the callback.
  if (typeof values === 'function') {
    const cb = values;
    values = (...args) => {
      done();
      return cb(...args);
    };
  } else if (typeof callback === 'function') {
    const cb = callback;
    callback = (...args) => {
      done();
      return cb(...args);
    };
  }
  const r = orig.call(this, config, values, callback);
  if (r && typeof r.then === 'function') r.then(done, done);
  else if (config && typeof config.on === 'function') {
    config.on('end', done);
    config.on('error', done);
  }
  return r;
};

process.on('SIGUSR2', () => {
  const out = { kinds: Object.fromEntries(kinds), batches: batches.splice(0) };
  kinds.clear();
  writeFileSync(process.env.PG_TRACE_OUT ?? '/tmp/pg-trace.json', JSON.stringify(out));
});
