/**
 * The log's destination: standard output, written asynchronously in chunks of about
 * `minLength` bytes, at the latest `flushMs` after a line was logged.
 *
 * Each line is encoded into the chunk's buffer as it is logged, while the string is fresh:
 * the request line is a rope of some twenty pieces (a template literal), and flattening
 * it is a walk over them. Kept as strings and joined once per chunk, that walk came about
 * a hundred requests later, on pieces long out of the cache: V8's `WriteToFlat` under the
 * join took about 0.46 µs a request on `GET /health/live` (2% of its CPU), and the chunk was
 * then encoded again by `Buffer.from` (bench/analysis.md, "The log line encoded as it is
 * logged"). Before that, pino's SonicBoom with a `minLength` appended each line to one
 * string and measured its byte length on every write (sonic-boom 4), copying the whole
 * buffer per line: about 5% of that route's CPU. The chunk goes to a SonicBoom without a
 * minimum (one asynchronous write(2) per chunk, its retries on EAGAIN and partial writes,
 * its synchronous flush on exit).
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
  // Bytes buffered before a chunk is written. A chunk's buffer holds that and room for the
  // line that reaches it; a line that might not fit (a UTF-16 unit is at most 3 bytes of
  // UTF-8) starts a new chunk, or is a chunk of its own when it is longer than a chunk. By
  // default chunks are 56 to 64 KiB: at most a Linux pipe's default capacity, so one write(2)
  // to a pipe whose reader keeps up. Each write costs a wake-up of libuv's pool and of the
  // thread that makes it; chunks of 16 KiB, four times as many writes, cost about 0.6 µs a
  // request more on GET /health/live (bench/analysis.md, "The log line encoded as it is logged").
  const minLength = opts.minLength ?? 56 * 1024;
  const capacity = minLength + 8 * 1024;
  // In buffer mode the SonicBoom writes the bytes it is given (with strings it measures each
  // chunk, fs.write encodes it, and after the write it encodes it again to cut what was written).
  const out = pino.destination({ dest: opts.fd ?? 1, sync: false, minLength: 0, contentMode: 'buffer' });
  let chunk = Buffer.allocUnsafeSlow(capacity);
  let used = 0;
  let closed = false;
  /** The buffered lines as one chunk (null when there are none); the buffer starts again. */
  const take = (): Buffer | null => {
    if (used === 0) return null;
    const full = chunk.subarray(0, used);
    // The SonicBoom keeps the chunk until its write is done: the next lines go to a new buffer.
    chunk = Buffer.allocUnsafeSlow(capacity);
    used = 0;
    return full;
  };
  /** Hands a chunk to the SonicBoom (written at once unless a write is in flight). */
  const hand = (bytes: Buffer) => {
    // write() throws once the SonicBoom is destroyed (stdout closed, EPIPE): nothing to do then.
    try {
      (out.write as unknown as (b: Buffer) => boolean)(bytes);
    } catch {}
  };
  /** Hands the buffered lines to the SonicBoom as one chunk. */
  const drain = () => {
    const full = take();
    if (full !== null) hand(full);
  };
  const stream = {
    write(line: string) {
      // After close (nothing is buffered then), and for a line longer than a chunk, the line
      // is a chunk of its own, written at once.
      if (closed || line.length * 3 > capacity) {
        drain();
        return hand(Buffer.from(line));
      }
      if (used + line.length * 3 > capacity) drain();
      used += chunk.write(line, used);
      if (used >= minLength) drain();
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
