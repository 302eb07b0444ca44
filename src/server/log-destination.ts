/**
 * The log's destination: standard output, written asynchronously in chunks of about
 * `minLength` characters, at the latest `flushMs` after a line was logged.
 *
 * The lines are kept in an array and joined once per chunk. pino's SonicBoom with a
 * `minLength` buffers by appending each line to one string and measuring that string's
 * byte length on every write (`Buffer.byteLength(bufs[last])`, sonic-boom 4): V8 then
 * flattens the growing string each time, so every log line copied the whole buffer (8 KiB
 * on average for a 16 KiB minimum) and left it to the GC. On `GET /health/live` that was
 * about 5% of the server's CPU (bench/analysis.md). Here a line costs a push; the chunk goes
 * to a SonicBoom without a minimum (one asynchronous write(2) per chunk, its retries on
 * EAGAIN and partial writes, its synchronous flush on exit).
 *
 * Nothing is lost on a graceful stop: `close()` (the app's onClose) hands what is buffered
 * to the SonicBoom (and lines logged after it go straight there), which pino flushes
 * synchronously when the process exits; a process that
 * exits without closing the app flushes here on `exit`, and pino's `fatal` calls
 * `flushSync()`. A SIGKILL loses at most the last `flushMs` of lines, never a credit (the
 * ledger is in the database).
 */
import { writeSync } from 'node:fs';
import pino from 'pino';

export interface LogDestination {
  /** What pino writes to: each call is one serialised line. */
  stream: {
    write(line: string): void;
    flush(cb?: (err?: Error) => void): void;
    flushSync(): void;
  };
  /** At the app's close: what is buffered goes out, and the timer stops. */
  close(): void;
}

export function bufferedLogDestination(opts: { fd?: number; minLength?: number; flushMs?: number } = {}): LogDestination {
  const minLength = opts.minLength ?? 16 * 1024;
  // In buffer mode: each chunk is encoded once, here. With strings, SonicBoom measures each
  // chunk (Buffer.byteLength), fs.write encodes it, and after the write SonicBoom encodes it
  // again (Buffer.from, to cut what was written): three passes over 16 KiB per chunk.
  const out = pino.destination({ dest: opts.fd ?? 1, sync: false, minLength: 0, contentMode: 'buffer' });
  let lines: string[] = [];
  let length = 0;
  let closed = false;
  /** The buffered lines as one chunk (null when there are none); the buffer starts again. */
  const take = (): Buffer | null => {
    if (lines.length === 0) return null;
    const chunk = Buffer.from(lines.length === 1 ? (lines[0] as string) : lines.join(''));
    lines = [];
    length = 0;
    return chunk;
  };
  /** Hands the buffered lines to the SonicBoom as one chunk (written at once unless a write is in flight). */
  const drain = () => {
    const chunk = take();
    if (chunk === null) return;
    // write() throws once the SonicBoom is destroyed (stdout closed, EPIPE): nothing to do then.
    try {
      (out.write as unknown as (b: Buffer) => boolean)(chunk);
    } catch {}
  };
  const stream = {
    write(line: string) {
      lines.push(line);
      length += line.length;
      // After close, each line goes out at once: nothing is left behind in this buffer.
      if (length >= minLength || closed) drain();
    },
    flush(cb?: (err?: Error) => void) {
      drain();
      try {
        out.flush(cb);
      } catch (err) {
        cb?.(err as Error);
      }
    },
    flushSync() {
      // What the SonicBoom holds first, then the lines buffered here, written here: handed to
      // the SonicBoom they would start an asynchronous write, which its flushSync does not wait for.
      try {
        out.flushSync();
      } catch {}
      const chunk = take();
      if (chunk !== null) writeAllSync(opts.fd ?? 1, chunk);
    },
  };
  const timer = setInterval(drain, opts.flushMs ?? 250);
  timer.unref();
  const onExit = () => stream.flushSync();
  process.on('exit', onExit);
  return {
    stream,
    close() {
      closed = true;
      clearInterval(timer);
      process.off('exit', onExit);
      drain();
    },
  };
}

/** Writes all of `buf` synchronously, waiting out EAGAIN (a full pipe) for up to about a second; other errors (EPIPE: nobody reads) drop it. */
function writeAllSync(fd: number, buf: Buffer): void {
  for (let off = 0, tries = 0; off < buf.length; ) {
    try {
      off += writeSync(fd, buf, off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code !== 'EAGAIN' && code !== 'EBUSY') || ++tries > 1000) return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}
