import type { FastifyBaseLogger } from 'fastify';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonString, requestLine } from './request-log.js';

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
