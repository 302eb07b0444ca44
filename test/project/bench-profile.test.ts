/**
 * The bench's CPU profile summary (bench/profile.ts): a profile is cut to the load window,
 * and the metered route's places are put beside the floor's in µs a request.
 */
import { describe, expect, it } from 'vitest';
import { type RouteProfile, profileMarkdown, serviceBesideFloor, summarise } from '../../bench/profile.js';

const load = (rps: number) => ({ rps, p50: 1, p99: 2, bad: 0 }) as RouteProfile['load'];
const route = (r: string, busyUsPerRequest: number, places: [string, number][], rps = 1000): RouteProfile => ({
  dialect: 'sqlite',
  route: r,
  load: load(rps),
  busyUsPerRequest,
  byFunction: [],
  byPlace: places.map(([name, share]) => ({ name, share })),
  everyPlace: places.map(([name, share]) => ({ name, share })),
});

describe('bench profile summary', () => {
  it("counts only the window's samples, each for the time before the next, and leaves out idle and (program)", () => {
    const node = (id: number, functionName: string, url = '') => ({ id, callFrame: { functionName, url, lineNumber: 0 } });
    const p = {
      nodes: [
        node(1, '(root)'),
        node(2, 'insertChunks', 'file:///app/dist/core/ledger/write-sqlite.js'),
        node(3, '(idle)'),
        node(4, 'send', 'file:///app/node_modules/fastify/lib/reply.js'),
      ],
      startTime: 0,
      samples: [2, 2, 3, 4, 2],
      timeDeltas: [10, 10, 10, 10, 10],
      endTime: 60,
    };
    // Samples at 10, 20, 30, 40, 50 µs; the window [15, 45] holds those at 20, 30 (idle) and 40.
    const s = summarise(p, 15, 45);
    expect(s.busyUs).toBe(20);
    expect(s.everyPlace).toEqual([
      { name: 'ours: dist/core/ledger/write-sqlite', share: 0.5 },
      { name: 'fastify', share: 0.5 },
    ]);
  });

  it('puts the service beside the floor place by place, largest difference first, in µs a request', () => {
    const service = route('metered POST /api/messages', 100, [
      ['ours: dist/core/ledger/write-sqlite', 0.2],
      ['fastify', 0.1],
      ['(native)', 0.7],
    ]);
    const floor = route("the floor's metered POST /api/messages (bench/floor-metered.mjs)", 50, [
      ['/work/x/bench/floor-rows.mjs', 0.3],
      ['fastify', 0.1],
      ['(native)', 0.6],
    ]);
    const table = serviceBesideFloor('sqlite', service, floor);
    const rows = table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| where'));
    expect(rows).toEqual([
      '| (native) | 70.0 | 30.0 | +40.0 |',
      '| ours: dist/core/ledger/write-sqlite | 20.0 | 0.0 | +20.0 |',
      '| bench/floor-rows.mjs | 0.0 | 15.0 | -15.0 |',
      '| fastify | 10.0 | 5.0 | +5.0 |',
    ]);
    // The run's profile ends with it when both routes were profiled, and not otherwise.
    expect(profileMarkdown([service, floor], 'now', '1 / 1 / 1', 5)).toContain(table);
    expect(profileMarkdown([service], 'now', '1 / 1 / 1', 5)).not.toContain('beside the floor');
  });
});
