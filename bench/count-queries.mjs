/**
 * Preload for bench/count-queries.ts (`node --import ./bench/count-queries.mjs bench/server.mjs`):
 * counts every statement the server sends, by its text (whitespace folded, first 90
 * characters), on PostgreSQL (node-postgres `Client.prototype.query`, each connection
 * tagged `writer` when pg's pipeline mode is on, the ledger writer's own pool, else `pool`)
 * and on SQLite (better-sqlite3 statements' run/get/all/iterate). On SIGUSR2 writes the
 * counts since the last SIGUSR2 as JSON to $COUNT_QUERIES_OUT and starts again.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(`${process.cwd()}/package.json`);
const counts = new Map();
const add = (origin, text) => {
  const k = `${origin}: ${String(text).trim().replace(/\s+/g, ' ').slice(0, 90)}`;
  counts.set(k, (counts.get(k) ?? 0) + 1);
};

try {
  const pg = require('pg');
  const orig = pg.Client.prototype.query;
  pg.Client.prototype.query = function (config, values, callback) {
    const text = typeof config === 'string' ? config : config?.text;
    add(this.pipeline ? 'pg writer' : 'pg pool', text);
    return orig.call(this, config, values, callback);
  };
} catch {}

try {
  const Database = require('better-sqlite3');
  const prepare = Database.prototype.prepare;
  let wrapped = false;
  Database.prototype.prepare = function (source, ...rest) {
    const st = prepare.call(this, source, ...rest);
    if (!wrapped) {
      wrapped = true;
      const proto = Object.getPrototypeOf(st);
      for (const m of ['run', 'get', 'all', 'iterate']) {
        const f = proto[m];
        proto[m] = function (...args) {
          add('sqlite', this.source);
          return f.apply(this, args);
        };
      }
    }
    return st;
  };
} catch {}

process.on('SIGUSR2', () => {
  writeFileSync(process.env.COUNT_QUERIES_OUT ?? '/tmp/count-queries.json', JSON.stringify(Object.fromEntries(counts)));
  counts.clear();
});
