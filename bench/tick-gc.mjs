/**
 * Node's `process.nextTick` alone, before and after full collections that run while no tick
 * object is alive (issue 21, goal 1; src/start/tick-shape.ts; bench/analysis.md, "Node's tick
 * objects lose their maps"):
 *
 *   node --expose-gc bench/tick-gc.mjs [--keep]
 *
 * Prints nanoseconds per `nextTick` (bursts of 1,000 ticks, 200 bursts a figure): twice to warm
 * up, then after five full collections (`gc()`, each after the tick queue has drained) four
 * times. With --keep, dist/start/tick-shape.js (npm run build:server) is imported first and
 * holds one tick object. Node 20 on this machine: 55 ns before; after, 290 ns without --keep
 * and 55 ns with it.
 */
if (process.argv.includes('--keep')) await import('../dist/start/tick-shape.js');
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const noop = () => {};
const drained = () => new Promise((resolve) => setImmediate(resolve));
function burst(n) {
  return new Promise((resolve) => {
    for (let i = 0; i < n; i++) process.nextTick(noop);
    process.nextTick(resolve);
  });
}
async function measure(label) {
  const t = process.hrtime.bigint();
  for (let k = 0; k < 200; k++) await burst(1000);
  console.log(`${label}: ${(Number(process.hrtime.bigint() - t) / 200_000).toFixed(1)} ns per nextTick`);
}
await measure('warm-up');
await measure('warm-up');
await drained();
for (let i = 0; i < 5; i++) {
  globalThis.gc();
  await drained();
}
for (let i = 0; i < 4; i++) await measure('after five full collections');
