import type { Kysely } from 'kysely';
import type { DB, PricingRow } from '../../db/schema.js';
import { invalid, notFound } from '../errors.js';
import { type Unit, computeCostMc, isUnit } from '../money.js';

export interface Price {
  rule: PricingRow;
  unit: Unit;
  costMc: number;
}

/**
 * The active pricing rules, cached for `ttlMs` so the hot path does not read them per
 * request. A change made through this process clears the cache at once; another
 * instance's change is seen within `ttlMs` (1 s by default).
 */
export class PricingCache {
  private rules: Map<string, PricingRow> | null = null;
  private loadedAt = 0;
  private loading: Promise<Map<string, PricingRow>> | null = null;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly ttlMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  invalidate(): void {
    this.rules = null;
  }

  async active(): Promise<Map<string, PricingRow>> {
    if (this.rules && this.now() - this.loadedAt < this.ttlMs) return this.rules;
    if (!this.loading) {
      this.loading = this.db
        .selectFrom('credit_pricing')
        .selectAll()
        .where('active', '=', 1)
        .execute()
        .then((rows) => {
          const m = new Map(rows.map((r) => [`${r.operation}/${r.unit}`, r] as const));
          this.rules = m;
          this.loadedAt = this.now();
          return m;
        })
        .finally(() => {
          this.loading = null;
        });
    }
    return this.loading;
  }

  /** The active rule for (operation, unit), or a not_found error. */
  async rule(operation: string, unit: string): Promise<PricingRow> {
    const r = (await this.active()).get(`${operation}/${unit}`);
    if (!r) throw notFound(`An active pricing rule for ${operation}/${unit}`);
    return r;
  }

  /** Prices `quantityMilli` (thousandths of the unit's base quantity) by the active rule. */
  async price(operation: string, unit: string, quantityMilli: number): Promise<Price> {
    if (!isUnit(unit)) throw invalid(`Unknown unit ${unit}.`, { unit });
    if (!Number.isSafeInteger(quantityMilli) || quantityMilli < 0) {
      throw invalid('The quantity must be a non-negative number with at most 3 decimals.');
    }
    const rule = await this.rule(operation, unit);
    return { rule, unit, costMc: computeCostMc(rule.credits_mc, quantityMilli, unit) };
  }
}
