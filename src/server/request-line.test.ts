import Fastify, { type FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  RequestLogger,
  epochTimeOncePerMs,
  jsonString,
  lazyRequestChildren,
  loggedUrl,
  requestIds,
  requestLine,
  tenthsText,
} from './request-log.js';

/** What pino itself writes for the request line, beside requestLine() at the same instant. */
function both(opts: pino.LoggerOptions, fields: { reqId: string; method: string; url: string; status: number; ms: number }) {
  const lines: string[] = [];
  const root = pino(opts, { write: (l: string) => lines.push(l) });
  root.info({ ...fields }, 'request');
  return {
    pino: lines[0],
    ours: requestLine(root as unknown as FastifyBaseLogger, fields.reqId, fields.method, fields.url, fields.status, fields.ms),
  };
}

describe('requestLine', () => {
  afterEach(() => vi.useRealTimers());
  const cases = [
    { reqId: '3bb54a45-f75f-45b4-b776-00000004e1fe', method: 'GET', url: '/health/live', status: 200, ms: 0 },
    { reqId: 'x', method: 'POST', url: '/api/messages?to=%22a%22&q="quoted"\\back', status: 402, ms: 12.3 },
    { reqId: 'y', method: 'GET', url: '/caf\u00e9/\u2028/\u{1f600}/' + 'a'.repeat(60), status: 404, ms: 1234.5 },
    { reqId: 'z\u0001', method: 'PATCH', url: '/lone/\ud800/\udfff/tab\t/nl\n/del\u007f', status: 599, ms: 0.1 },
    { reqId: '"', method: 'M\\', url: '', status: 100, ms: 3 },
  ];
  for (const fields of cases) {
    it(`writes the bytes pino writes (${fields.url.slice(0, 30)})`, () => {
      vi.useFakeTimers({ now: 1_796_203_714_126 });
      const { pino: expected, ours } = both({ level: 'info', redact: ['req.headers.authorization'] }, fields);
      expect(ours).toBe(expected);
      expect(JSON.parse(ours)).toMatchObject({ level: 30, time: 1_796_203_714_126, pid: process.pid, msg: 'request', ...fields });
    });
  }
});

describe('jsonString', () => {
  it('writes what JSON.stringify writes', () => {
    const samples = [
      '',
      'plain',
      '"',
      '\\',
      '\u0000',
      '\u001f',
      ' ',
      '\u007f',
      '\u00e9',
      '\u2028',
      '\u{1f600}',
      '\ud800',
      '\udfff',
      'a\udc00b',
      '\ud83d',
    ];
    for (let c = 0; c < 0x80; c++) samples.push(`x${String.fromCharCode(c)}y`);
    for (const s of samples) expect(jsonString(s)).toBe(JSON.stringify(s));
  });
});

describe('lazyRequestChildren', () => {
  const collect = () => {
    const lines: Record<string, unknown>[] = [];
    return { lines, stream: { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) } };
  };

  it("makes Fastify's default factory give each request a RequestLogger that logs with its bindings", async () => {
    const { lines, stream } = collect();
    const app = Fastify({ logger: { level: 'info', stream } });
    lazyRequestChildren(app.log);
    app.get('/x', async (req) => {
      expect(req.log).toBeInstanceOf(RequestLogger);
      req.log.info({ n: 1 }, 'inside');
      req.log.child({ part: 'b' }).warn('deeper');
      return { ok: true };
    });
    const res = await app.inject({ method: 'GET', url: '/x' });
    expect(res.statusCode).toBe(200);
    const reqId = lines.find((l) => l.msg === 'inside')?.reqId;
    expect(reqId).toEqual(expect.any(String));
    expect(lines.find((l) => l.msg === 'inside')).toMatchObject({ n: 1, level: 30 });
    expect(lines.find((l) => l.msg === 'deeper')).toMatchObject({ reqId, part: 'b', level: 40 });
    await app.close();
  });

  it("leaves a child's own children to pino, with every binding on the way", () => {
    const { lines, stream } = collect();
    const root = pino({ level: 'info' }, stream) as unknown as FastifyBaseLogger;
    lazyRequestChildren(root);
    const request = root.child({ reqId: 'r1' });
    expect(request).toBeInstanceOf(RequestLogger);
    expect(lines).toHaveLength(0);
    const real = (request as unknown as RequestLogger).real;
    expect(real).not.toBeInstanceOf(RequestLogger);
    const grandchild = real.child({ depth: 2 });
    expect(grandchild).not.toBeInstanceOf(RequestLogger);
    grandchild.child({ depth: 3, leaf: true }).info('leaf');
    expect(lines).toEqual([expect.objectContaining({ reqId: 'r1', depth: 3, leaf: true, msg: 'leaf' })]);
    // A level of its own goes to the real child, as Fastify's route-level logLevel needs.
    const quiet = root.child({ reqId: 'r2' }, { level: 'error' }) as unknown as RequestLogger;
    expect(quiet.ownLevel).toBe(true);
    quiet.info('dropped');
    quiet.error('kept');
    expect(lines.map((l) => l.msg)).toEqual(['leaf', 'kept']);
  });
});

describe('tenthsText', () => {
  it('writes what String() writes for a duration rounded to tenths, and anything else as String() does', () => {
    const values = [
      0,
      0.1,
      0.3,
      0.7,
      1,
      9.9,
      10,
      12.3,
      1234.5,
      99999.9,
      1e13 + 0.1,
      1e14,
      1e15,
      1e16,
      1.25,
      0.05,
      -0.1,
      -3,
      Number.NaN,
      Infinity,
    ];
    for (let i = 0; i < 20_000; i++) values.push(Math.round(Math.random() * 10 ** (1 + (i % 12)) * 10) / 10);
    for (const ms of values) expect(tenthsText(ms)).toBe(String(ms));
  });
});

describe('requestIds', () => {
  /** The ids as they were made before the table: the counter's 12 hex digits after the prefix. */
  const expectCounted = (ids: string[], from: number) => {
    const prefix = (ids[0] as string).slice(0, 24);
    expect(prefix).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-$/);
    expect(ids).toEqual(ids.map((_, i) => prefix + (from + i).toString(16).padStart(12, '0')));
  };
  it('counts in 12 hex digits after a random prefix, across the table of the last three', () => {
    const next = requestIds();
    expectCounted(
      Array.from({ length: 3 * 4096 + 2 }, () => next()),
      0,
    );
  });
  it('counts on from any number, over a carry into the digits before the table', () => {
    for (const from of [4095, 2 ** 40 - 3, 0xfffffffffff0 - 5]) {
      const next = requestIds(from);
      expectCounted(
        Array.from({ length: 12 }, () => next()),
        from,
      );
    }
  });
  it('draws a prefix of its own for each sequence', () => {
    expect(requestIds()().slice(0, 24)).not.toBe(requestIds()().slice(0, 24));
  });
});

describe('epochTimeOncePerMs', () => {
  afterEach(() => vi.useRealTimers());
  it("writes pino's epochTime, made again when the millisecond changes", () => {
    vi.useFakeTimers({ now: 1_796_203_714_126 });
    expect(epochTimeOncePerMs()).toBe(pino.stdTimeFunctions.epochTime());
    expect(epochTimeOncePerMs()).toBe(',"time":1796203714126');
    vi.advanceTimersByTime(1);
    expect(epochTimeOncePerMs()).toBe(',"time":1796203714127');
    vi.setSystemTime(1_796_203_714_000);
    expect(epochTimeOncePerMs()).toBe(pino.stdTimeFunctions.epochTime());
  });
});

describe('loggedUrl', () => {
  it("hides an invitation's token and keeps every other URL as it is", () => {
    expect(loggedUrl('/api/invitations/inv_abc-DEF_123/accept')).toBe('/api/invitations/[redacted]/accept');
    expect(loggedUrl('/api/invitations/inv_abc?x=1')).toBe('/api/invitations/[redacted]?x=1');
    expect(loggedUrl('/api/invitations/inv_abc')).toBe('/api/invitations/[redacted]');
    for (const url of ['/health/live', '/api/messages', '/api/orgs/o1/invitations', '/api/invitations', '/accept-invitation']) {
      expect(loggedUrl(url)).toBe(url);
    }
  });
});
