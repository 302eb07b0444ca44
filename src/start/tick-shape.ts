/**
 * Keeps one of Node's `process.nextTick` objects alive for the life of the process, so that the
 * hidden classes (maps) of every later one stay the same (issue 21, goal 1; bench/analysis.md,
 * "Node's tick objects lose their maps").
 *
 * Node 20 builds each tick object as a literal with computed keys,
 * `{ [async_id_symbol]: …, [trigger_async_id_symbol]: …, callback, args }`. V8 holds the maps
 * that the literal passes through only weakly: when full collections run while no tick object
 * is alive (the service's start-up, its migrations and seed), the maps are collected and the
 * next tick object is given new ones. The store of the second computed key has seen one map and
 * now sees another, and V8 marks it megamorphic, which it never undoes: from then on the
 * optimised code of `nextTick` and of the stream functions it is inlined into (`emitReadable`,
 * `endReadable`, `onwrite`, `resume`) calls V8's runtime for each computed key. A request
 * queues about a dozen ticks, and in 9 of 13 fresh server processes measured that runtime
 * path took 6 to 10% of the server's CPU on `GET /health/live`. Standalone, a `nextTick`
 * costs 55 ns before five full collections and 290 ns after them, and 55 ns after them when
 * one tick object is held.
 *
 * The object is caught through an async hook enabled for one `process.nextTick` call and then
 * disabled, so no hook runs afterwards. It holds nothing of ours but an empty function.
 * Imported first by the process's entry points (src/cli/main.ts, src/main.ts), before
 * anything allocates much.
 */
import { createHook } from 'node:async_hooks';

let kept: object | null = null;

/** Catches one tick object and keeps it (once per process; later calls return the one kept). */
export function keepTickShape(): object | null {
  if (kept) return kept;
  const hook = createHook({
    init(_id, type, _trigger, resource) {
      if (type === 'TickObject' && kept === null) kept = resource as object;
    },
  });
  hook.enable();
  try {
    process.nextTick(() => {});
  } finally {
    hook.disable();
  }
  return kept;
}

keepTickShape();
