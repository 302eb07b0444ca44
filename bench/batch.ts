/**
 * Batch ingestion of the service API: 10,000 usage events sent as 10 batches of 1,000
 * (`POST /api/v1/usage/batch`) against the same 10,000 events sent one per request
 * (`POST /api/v1/usage`, each with its Idempotency-Key) over 64 connections, on one server
 * process, in the same run. The figure is events charged per second, and the ratio of the two.
 */
import autocannon from 'autocannon';
import type { Dialect } from '../src/db/open.js';
import { median } from './common.js';
import { ADMIN, benchDb, post, setupFetch, startServerProc } from './http.js';

const KEY = 'bench-service-key-0123456789';

export interface BatchFigure {
  dialect: Dialect;
  events: number;
  /** Events charged per second, one per request, each run. */
  single: number[];
  /** Events charged per second in batches of `batchSize`, each run. */
  batch: number[];
  batchSize: number;
  connections: number;
}

async function customer(url: string, externalId: string, credits: number) {
  const r = await setupFetch(`${url}/api/v1/customers/${externalId}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', 'x-service-key': KEY },
    body: JSON.stringify({ name: 'Bench customer' }),
  });
  if (!r.ok) throw new Error(`PUT customer ${externalId}: ${r.status} ${await r.text()}`);
  const body = (await r.json()) as { customer: { accountId: string } };
  const admin = (await post(`${url}/api/auth/login`, ADMIN)) as { token: string };
  await post(
    `${url}/api/admin/users/${body.customer.accountId}/adjustments`,
    { amount: credits, reason: 'benchmark credits' },
    admin.token,
  );
}

/** Sends `events` single usage requests over `connections`; answers events/s (all must be 201 unless `tolerant`). */
function singles(url: string, customerId: string, events: number, connections: number, tag: string, tolerant = false): Promise<number> {
  let i = 0;
  const body = JSON.stringify({ customer: customerId, operation: 'message', unit: 'per_message', quantity: 1 });
  return new Promise((resolve, reject) => {
    const started = performance.now();
    autocannon(
      {
        url: `${url}/api/v1/usage`,
        connections,
        amount: events,
        requests: [
          {
            method: 'POST',
            setupRequest: (req) => ({
              ...req,
              headers: { 'content-type': 'application/json', 'x-service-key': KEY, 'idempotency-key': `${tag}-${i++}` },
              body,
            }),
          },
        ],
      },
      (err, r) => {
        if (err) return reject(err);
        const seconds = (performance.now() - started) / 1000;
        const bad = r.errors + r.non2xx + r.timeouts;
        if (bad > 0 && !tolerant)
          return reject(
            new Error(
              `${bad} single usage requests failed: ${JSON.stringify((r as unknown as { statusCodeStats?: unknown }).statusCodeStats)} errors ${r.errors} timeouts ${r.timeouts}`,
            ),
          );
        resolve(events / seconds);
      },
    );
  });
}

/** Sends `events` as batches of `size`, all batches at once; answers events/s (all must be charged). */
async function batches(url: string, customerId: string, events: number, size: number, tag: string): Promise<number> {
  const bodies = Array.from({ length: Math.ceil(events / size) }, (_, b) =>
    JSON.stringify({
      events: Array.from({ length: Math.min(size, events - b * size) }, (_, k) => ({
        id: `${tag}-${b}-${k}`,
        customer: customerId,
        operation: 'message',
        unit: 'per_message',
        quantity: 1,
      })),
    }),
  );
  const started = performance.now();
  const answers = await Promise.all(
    bodies.map(async (body) => {
      const r = await fetch(`${url}/api/v1/usage/batch`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-service-key': KEY },
        body,
      });
      return (await r.json()) as { results: { status: string }[] };
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const charged = answers.reduce((n, a) => n + a.results.filter((x) => x.status === 'charged').length, 0);
  if (charged !== events) throw new Error(`only ${charged} of ${events} batch events were charged`);
  return events / seconds;
}

export async function batchBench(
  dialect: Dialect,
  o: { runs: number; connections: number; events?: number; batchSize?: number; log: (l: string) => void },
): Promise<BatchFigure> {
  const events = o.events ?? 10_000;
  const size = o.batchSize ?? 1000;
  const db = await benchDb(dialect);
  // The event-loop-delay trigger of load shedding off: on a machine shared with the load
  // generator (and PostgreSQL) it measures the machine, not the server. The in-progress cap stays.
  const server = await startServerProc(db, { SERVICE_API_KEY: KEY, MAX_EVENT_LOOP_DELAY_MS: '0' });
  try {
    // 0.1 credits an event: enough for every run of both kinds.
    await customer(server.url, 'bench-customer', events * 0.1 * 2 * (o.runs + 1) + 10);
    // Warm-up: both routes once, so neither pays for the first compilation.
    await singles(server.url, 'bench-customer', 500, o.connections, 'warm', true);
    await batches(server.url, 'bench-customer', 1000, size, 'warm');
    const fig: BatchFigure = { dialect, events, single: [], batch: [], batchSize: size, connections: o.connections };
    for (let run = 0; run < o.runs; run++) {
      const s = await singles(server.url, 'bench-customer', events, o.connections, `s${run}`);
      const b = await batches(server.url, 'bench-customer', events, size, `b${run}`);
      fig.single.push(s);
      fig.batch.push(b);
      o.log(`  ${dialect} run ${run + 1}: single ${Math.round(s)} events/s, batches ${Math.round(b)} events/s (${(b / s).toFixed(1)}x)`);
    }
    return fig;
  } finally {
    await server.stop();
    await db.dispose();
  }
}

export function batchMarkdown(figs: BatchFigure[]): string {
  const rows = figs.map((f) => {
    const s = median(f.single);
    const b = median(f.batch);
    return `| ${f.dialect} | ${Math.round(s).toLocaleString('en')} | ${Math.round(b).toLocaleString('en')} | **${(b / s).toFixed(1)}x** | ${f.single.map((x, i) => `${((f.batch[i] as number) / x).toFixed(1)}x`).join(', ')} |`;
  });
  const f = figs[0] as BatchFigure;
  return `## 6. Service API: batch ingestion vs single events

${f.events.toLocaleString('en')} usage events charged as ${f.events / f.batchSize} batches of ${f.batchSize.toLocaleString('en')} (\`POST /api/v1/usage/batch\`, all
batches sent at once) against the same number sent one per request (\`POST /api/v1/usage\`, each with
its own Idempotency-Key) over ${f.connections} connections, on one server process, in the same run; every
event must be charged (201 / \`charged\`). Events per second, median of the runs.

| database | single requests (events/s) | batches (events/s) | batch / single | each run |
|---|---:|---:|---:|---|
${rows.join('\n')}

A batch is one writer transaction (one commit for 1,000 events) and one HTTP request; a single
event pays for its request (key check, validation, idempotency lookup) and shares a commit only
with the events that happen to queue beside it.`;
}
