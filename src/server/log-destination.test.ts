import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bufferedLogDestination } from './log-destination.js';

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('bufferedLogDestination', () => {
  const dir = mkdtempSync(join(tmpdir(), 'log-destination-'));
  const fds: number[] = [];
  const file = (name: string) => {
    const path = join(dir, name);
    const fd = openSync(path, 'a');
    fds.push(fd);
    return { fd, read: () => readFileSync(path, 'utf8') };
  };
  afterEach(() => {
    for (const fd of fds.splice(0)) closeSync(fd);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds lines until the minimum is reached, then writes them in order as one chunk', async () => {
    const { fd, read } = file('chunks.log');
    const d = bufferedLogDestination({ fd, minLength: 100, flushMs: 60_000 });
    d.stream.write('a'.repeat(40) + '\n');
    d.stream.write('b'.repeat(40) + '\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(read()).toBe('');
    d.stream.write('c'.repeat(40) + '\n');
    await until(() => read().length > 0);
    expect(read()).toBe(`${'a'.repeat(40)}\n${'b'.repeat(40)}\n${'c'.repeat(40)}\n`);
    d.close();
  });

  it('writes each line as Buffer.from encodes it, in order, lines longer than a chunk and across chunks included', async () => {
    const { fd } = file('bytes.log');
    const path = join(dir, 'bytes.log');
    const d = bufferedLogDestination({ fd, minLength: 64, flushMs: 60_000 });
    // Multi-byte characters, a lone surrogate (written as U+FFFD), a line that needs more than
    // what is left of a chunk, and one longer than a whole chunk (64 + 8 KiB).
    const lines = ['caf\u00e9 \u{1f600}\n', 'lone \ud800 end\n', `${'\u2028'.repeat(30)}\n`, `${'x'.repeat(20_000)}\n`, 'last\n'];
    for (const l of lines) d.stream.write(l);
    d.close();
    const expected = Buffer.concat(lines.map((l) => Buffer.from(l)));
    await until(() => readFileSync(path).length >= expected.length);
    expect(readFileSync(path).equals(expected)).toBe(true);
  });

  it('writes what is buffered after flushMs, on close, and every line logged after close', async () => {
    const { fd, read } = file('timer.log');
    const d = bufferedLogDestination({ fd, minLength: 1 << 20, flushMs: 20 });
    d.stream.write('one\n');
    await until(() => read() === 'one\n');
    expect(read()).toBe('one\n');
    d.stream.write('two\n');
    d.close();
    d.stream.write('three\n');
    await until(() => read() === 'one\ntwo\nthree\n');
    expect(read()).toBe('one\ntwo\nthree\n');
  });

  it('flushSync writes everything before it returns (what pino calls for fatal)', () => {
    const { fd, read } = file('sync.log');
    const d = bufferedLogDestination({ fd, minLength: 1 << 20, flushMs: 60_000 });
    const log = pino({ base: null, timestamp: false }, d.stream);
    log.info({ n: 1 }, 'first');
    log.info({ n: 2 }, 'second');
    expect(read()).toBe('');
    d.stream.flushSync();
    expect(
      read()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { n: number }),
    ).toMatchObject([{ n: 1 }, { n: 2 }]);
    d.close();
  });

  it('loses no line when the process exits with lines still buffered', () => {
    const script = `
      import pino from 'pino';
      import { bufferedLogDestination } from './src/server/log-destination.ts';
      const d = bufferedLogDestination({ minLength: 1 << 20, flushMs: 60_000 });
      const log = pino({ base: null, timestamp: false }, d.stream);
      for (let i = 0; i < 5000; i++) log.info({ i }, 'line');
      process.exit(0);
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(5000);
    expect(JSON.parse(lines[4999] as string)).toMatchObject({ i: 4999, msg: 'line' });
  });
});
