import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { keepTickShape } from './tick-shape.js';

describe('keepTickShape', () => {
  it('holds one of Node’s tick objects, the same one on every call', () => {
    const kept = keepTickShape();
    expect(kept).not.toBeNull();
    expect(keepTickShape()).toBe(kept);
    const o = kept as Record<PropertyKey, unknown>;
    expect(Object.getOwnPropertySymbols(o).map((s) => s.description)).toEqual(['async_id_symbol', 'trigger_async_id_symbol']);
    expect(Object.keys(o)).toEqual(['callback', 'args']);
    expect(typeof o.callback).toBe('function');
  });

  it('keeps the map of tick objects made after full collections with no other tick object alive', () => {
    // V8's own check (natives syntax, in a child process of its own): a tick object caught
    // after five full collections, when none but the kept one was alive, has the kept one's map.
    const script = `
      import { createHook } from 'node:async_hooks';
      import { keepTickShape } from './src/start/tick-shape.ts';
      const kept = keepTickShape();
      const tick = () => new Promise((r) => setImmediate(r));
      for (let i = 0; i < 5; i++) { globalThis.gc(); await tick(); }
      let fresh = null;
      const hook = createHook({ init(_i, type, _t, r) { if (type === 'TickObject' && !fresh) fresh = r; } });
      hook.enable();
      process.nextTick(() => {});
      hook.disable();
      const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)');
      console.log(JSON.stringify({ fresh: fresh !== null, notKept: fresh !== kept, sameMap: sameMap(kept, fresh), other: sameMap(kept, { callback() {}, args: undefined }) }));
    `;
    const r = spawnSync(
      process.execPath,
      ['--expose-gc', '--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim())).toEqual({ fresh: true, notKept: true, sameMap: true, other: false });
  });
});
