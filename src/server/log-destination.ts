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
  const out = pino.destination({ dest: opts.fd ?? 1, sync: false, minLength: 0 });
  let lines: string[] = [];
  let length = 0;
  let closed = false;
  /** Hands the buffered lines to the SonicBoom as one chunk (written at once unless a write is in flight). */
  const drain = () => {
    if (lines.length === 0) return;
    const chunk = lines.length === 1 ? (lines[0] as string) : lines.join('');
    lines = [];
    length = 0;
    // write() throws once the SonicBoom is destroyed (stdout closed, EPIPE): nothing to do then.
    try {
      out.write(chunk);
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
      drain();
      try {
        out.flushSync();
      } catch {}
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
