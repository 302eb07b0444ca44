/** The stop on SIGTERM and SIGINT of `credits serve`. */
import type { Config } from '../config.js';

/**
 * SIGTERM or SIGINT stops the service (Running.stop) and exits 0. If the stop takes longer
 * than SHUTDOWN_TIMEOUT_SECONDS, or a second signal comes, the process exits 1 at once.
 */
export function exitOnSignals(running: { config: Config; stop(): Promise<void> }, say: (line: string) => void = () => {}): void {
  let signals = 0;
  const shutdown = (sig: string) => {
    signals++;
    if (signals > 1) process.exit(1);
    say(`${sig}: finishing requests in flight and pending work (at most ${running.config.shutdownTimeoutMs / 1000} s)...`);
    setTimeout(() => {
      say(`did not stop within ${running.config.shutdownTimeoutMs / 1000} s: exiting now`);
      process.exit(1);
    }, running.config.shutdownTimeoutMs).unref();
    running
      .stop()
      .then(() => {
        say('stopped cleanly');
        process.exit(0);
      })
      .catch((e) => {
        say(`shutdown failed: ${e instanceof Error ? e.message : e}`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
