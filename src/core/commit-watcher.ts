import type { BalanceChange } from './ledger/types.js';
import type { ErrorLog } from './log.js';

/**
 * What acts on the balance changes the writer publishes after each commit (low-balance
 * alerts, auto-recharge): one commit at a time, in order, each change on its own, so one
 * that fails is logged and the others still run. Never inside the debit's transaction.
 */
export abstract class CommitWatcher {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    protected readonly log: ErrorLog,
    /** What a failure is logged as ("low-balance check"). */
    private readonly what: string,
  ) {}

  /** Queues the checks of a commit's changes. */
  onCommit(changes: BalanceChange[]): Promise<void> {
    this.chain = this.chain.then(() => this.check(changes)).catch((err) => this.log.error({ err }, `${this.what} failed`));
    return this.chain;
  }

  /** Resolves when every queued check is done. */
  idle(): Promise<void> {
    return this.chain;
  }

  private async check(changes: BalanceChange[]) {
    for (const c of changes) {
      try {
        await this.checkOne(c);
      } catch (err) {
        this.log.error({ err, userId: c.userId }, `${this.what} failed`);
      }
    }
  }

  protected abstract checkOne(c: BalanceChange): Promise<void>;
}
