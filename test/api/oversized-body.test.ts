/**
 * HTTP hygiene: a JSON body of several MB sent to a metered route is answered 413
 * `payload_too_large`, and the client reads that answer. The client here is raw TCP and
 * reads nothing until it has sent its whole body (as simple clients do): if the server
 * closed the connection as soon as it answered, the body still arriving would make the
 * kernel reset the connection and the answer would be lost (EPIPE / ECONNRESET, no
 * status line). Repeated, on both databases; then the same connection serves the next
 * request, and nothing was charged.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeDialects } from '../support/db.js';
import { type TestServer, startTestServer } from '../support/server.js';

interface RawAnswer {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** Parses one HTTP/1.1 answer with a content-length out of `buf`, or null while incomplete. */
function parseAnswer(buf: Buffer): { answer: RawAnswer; rest: Buffer } | null {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number((lines[0] ?? '').split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const length = Number(headers['content-length'] ?? 0);
  if (buf.length < end + 4 + length) return null;
  return {
    answer: { status, headers, body: buf.subarray(end + 4, end + 4 + length).toString('utf8') },
    rest: buf.subarray(end + 4 + length),
  };
}

/**
 * Sends `POST path` with a body of `size` bytes (all of it before reading anything), reads
 * the answer, then sends `GET /api/credits/balance` on the same connection and reads that.
 */
function sendThenRead(
  url: string,
  path: string,
  token: string,
  size: number,
): Promise<{ first: RawAnswer; second: RawAnswer | null; error: string | null }> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = connect(Number(u.port), u.hostname);
    sock.pause();
    let buf: Buffer = Buffer.alloc(0);
    let first: RawAnswer | null = null;
    let error: string | null = null;
    const finish = (second: RawAnswer | null) => {
      sock.destroy();
      resolve({ first: first ?? { status: 0, body: '', headers: {} }, second, error });
    };
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      let parsed = parseAnswer(buf);
      if (!parsed) return;
      if (!first) {
        first = parsed.answer;
        buf = parsed.rest;
        if (first.headers.connection === 'close') return finish(null);
        sock.write(`GET /api/credits/balance HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\n\r\n`);
        parsed = parseAnswer(buf);
        if (!parsed) return;
      }
      finish(parsed.answer);
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    sock.on('close', () => resolve({ first: first ?? { status: 0, body: '', headers: {} }, second: null, error }));
    sock.on('connect', () => {
      sock.write(
        `POST ${path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${token}\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`,
      );
      const chunk = Buffer.from(`{"to":"x","body":"${'y'.repeat(64 * 1024)}`);
      let sent = 0;
      const write = () => {
        while (sent < size) {
          const n = Math.min(chunk.length, size - sent);
          sent += n;
          if (!sock.write(chunk.subarray(0, n))) {
            sock.once('drain', write);
            return;
          }
        }
        // Only now start reading, as a client that sends its request before it reads.
        sock.resume();
      };
      write();
    });
  });
}

describe.each(await activeDialects())('oversized bodies on %s', (dialect) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(dialect);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('answers a 5 MB JSON body 413 payload_too_large that the client reads, 20 times, and charges nothing', async () => {
    const u = await s.register();
    await s.grant(u.user.id, 5);
    for (let i = 0; i < 20; i++) {
      const r = await sendThenRead(s.url, '/api/messages', u.token, 5 * 1024 * 1024);
      expect(r.error, `attempt ${i}`).toBeNull();
      expect(r.first.status, `attempt ${i}`).toBe(413);
      expect(JSON.parse(r.first.body), `attempt ${i}`).toMatchObject({ error: { code: 'payload_too_large' } });
      // The connection was drained, not cut: it serves the next request.
      expect(r.second?.status, `attempt ${i}`).toBe(200);
      expect(JSON.parse(r.second?.body ?? '{}').balance).toBe(5);
    }
  }, 120_000);

  it('cuts the connection of a body beyond the drain bound instead of reading it all', async () => {
    const u = await s.register();
    const r = await sendThenRead(s.url, '/api/messages', u.token, 80 * 1024 * 1024);
    expect(r.second).toBeNull();
    expect(r.error).not.toBeNull();
  }, 60_000);
});
