import type { BalanceChange } from './types.js';

/** Keeps the last state of each account, and the available credits before the first change. */
export function mergeChanges(changes: BalanceChange[]): BalanceChange[] {
  const byUser = new Map<string, BalanceChange>();
  for (const c of changes) {
    const prev = byUser.get(c.userId);
    byUser.set(c.userId, prev ? { ...c, previousAvailableMc: prev.previousAvailableMc } : c);
  }
  return [...byUser.values()];
}
