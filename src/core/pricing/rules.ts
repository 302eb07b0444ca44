import type { Kysely } from 'kysely';
import type { DB, PricingRow } from '../../db/schema.js';
import { invalid, notFound } from '../errors.js';
import { MAX_MC, type Unit, computeCostMc, formatCredits, isUnit } from '../../contracts/money.js';
import type { UsageInput } from '../ledger/types.js';
import { SettingsCache } from '../settings-cache.js';

const ACTIVE = 'active';

export interface Price {
  rule: PricingRow;
  unit: Unit;
  costMc: number;
}

/**
 * The active pricing rules, cached for `ttlMs` so the hot path does not read them per
 * request. A change made through this process clears the cache at once, and a read that
 * was in flight during the change is neither handed to later callers nor kept (the
 * settings cache's invalidation epoch); another instance's change is seen within `ttlMs`
 * (1 s by default).
 */
/**
 * The active rules as loaded, and indexed by operation, then unit, for the charges, which look a
 * rule up without making an `operation/unit` key and hashing it on every charge (1,600
 * instructions a metered request: bench/analysis.md, "The writer's reads of its rows").
 */
interface ActiveRules {
  rows: readonly PricingRow[];
  byOperation: Map<string, Map<string, PricingRow>>;
}

export class PricingCache {
  private readonly cache: SettingsCache<ActiveRules>;

  constructor(
    private readonly db: Kysely<DB>,
    ttlMs = 1000,
    now: () => number = Date.now,
  ) {
    this.cache = new SettingsCache(ttlMs, now, 1);
  }

  invalidate(): void {
    this.cache.invalidate(ACTIVE);
  }

  private readonly load = async (): Promise<ActiveRules> => {
    const rows = await this.db.selectFrom('credit_pricing').selectAll().where('active', '=', 1).execute();
    const byOperation = new Map<string, Map<string, PricingRow>>();
    for (const r of rows) {
      let units = byOperation.get(r.operation);
      if (!units) byOperation.set(r.operation, (units = new Map()));
      units.set(r.unit, r);
    }
    return { rows, byOperation };
  };

  private loaded(): Promise<ActiveRules> {
    return this.cache.get(ACTIVE, this.load);
  }

  /** The active rules, in no particular order. */
  async active(): Promise<readonly PricingRow[]> {
    return (await this.loaded()).rows;
  }

  /** The active rule for (operation, unit), or a not_found error. */
  async rule(operation: string, unit: string): Promise<PricingRow> {
    return ruleOf(await this.loaded(), operation, unit);
  }

  /** Prices `quantityMilli` (thousandths of the unit's base quantity) by the active rule; a cost beyond MAX_MC is invalid. */
  async price(operation: string, unit: string, quantityMilli: number): Promise<Price> {
    checkQuantity(unit, quantityMilli);
    return priceBy(await this.rule(operation, unit), unit as Unit, quantityMilli);
  }

  /**
   * Prices an operation (as `price`) and describes it as the usage record its charge carries.
   * The hot path: while the cached rules are fresh they are read without waiting on a promise.
   */
  async priceUsage(
    operation: string,
    unit: string,
    quantityMilli: number,
    metadata: Record<string, unknown> | null | undefined,
  ): Promise<Price & { usage: UsageInput }> {
    checkQuantity(unit, quantityMilli);
    const rules = this.cache.peek(ACTIVE) ?? (await this.loaded());
    const p = priceBy(ruleOf(rules, operation, unit), unit as Unit, quantityMilli);
    const usage = {
      operation,
      unit,
      quantityMilli,
      ruleId: p.rule.id,
      ruleCreditsMc: p.rule.credits_mc,
      costMc: p.costMc,
      metadata: metadata ?? null,
    };
    return { rule: p.rule, unit: p.unit, costMc: p.costMc, usage };
  }
}

function checkQuantity(unit: string, quantityMilli: number): void {
  if (!isUnit(unit)) throw invalid(`Unknown unit ${unit}.`, { unit });
  if (!Number.isSafeInteger(quantityMilli) || quantityMilli < 0) {
    throw invalid('The quantity must be a non-negative number with at most 3 decimals.');
  }
}

function ruleOf(rules: ActiveRules, operation: string, unit: string): PricingRow {
  const r = rules.byOperation.get(operation)?.get(unit);
  if (!r) throw notFound(`An active pricing rule for ${operation}/${unit}`);
  return r;
}

function priceBy(rule: PricingRow, unit: Unit, quantityMilli: number): Price {
  const costMc = computeCostMc(rule.credits_mc, quantityMilli, unit);
  // Beyond the largest amount the service counts (and, far beyond, the safe integers): refused before anything is written.
  if (costMc > MAX_MC) {
    throw invalid(`This quantity would cost more than ${formatCredits(MAX_MC)} credits.`, {
      fields: [{ path: 'body.quantity', message: 'costs more than the largest amount' }],
    });
  }
  return { rule, unit, costMc };
}
