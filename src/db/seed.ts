import type { Kysely } from 'kysely';
import type { DB } from './schema.js';

/** The five packages of the commission, exactly. Ids are stable so the seed runs once. */
export const SEED_PACKAGES = [
  { id: 'pkg_starter', name: 'Starter', credits: 100, bonus: 0, priceCents: 1000, popular: false },
  { id: 'pkg_professional', name: 'Professional', credits: 500, bonus: 50, priceCents: 4500, popular: true },
  { id: 'pkg_business', name: 'Business', credits: 1000, bonus: 150, priceCents: 8000, popular: false },
  { id: 'pkg_enterprise', name: 'Enterprise', credits: 2500, bonus: 500, priceCents: 18000, popular: false },
  { id: 'pkg_premium', name: 'Premium', credits: 5000, bonus: 1000, priceCents: 32000, popular: false },
] as const;

/**
 * The sixteen pricing rules: the commission's five and eleven more of the platform. Credits in mc.
 * Each rule's description is its operation's one name (contracts/units.ts operationName), so the
 * history reads "Message (per message)" as the dashboard names it everywhere.
 */
export const SEED_PRICING = [
  ['vapi_call', 'per_call', 1000, 'Voice call'],
  ['vapi_call', 'per_minute', 500, 'Voice call'],
  ['message', 'per_message', 100, 'Message'],
  ['file_upload', 'per_mb', 250, 'File upload'],
  ['workflow', 'per_execution', 750, 'Workflow'],
  ['sms', 'per_message', 200, 'SMS'],
  ['email', 'per_message', 50, 'Email'],
  ['resume_parse', 'per_document', 500, 'Resume parse'],
  ['candidate_screening', 'per_candidate', 2000, 'Candidate screening'],
  ['ai_interview', 'per_minute', 1000, 'AI interview'],
  ['transcription', 'per_minute', 200, 'Transcription'],
  ['llm_tokens', 'per_1k_tokens', 20, 'Language model tokens'],
  ['job_posting', 'per_post', 5000, 'Job posting'],
  ['candidate_search', 'per_search', 250, 'Candidate search'],
  ['data_export', 'per_export', 1000, 'Data export'],
  ['workflow_step', 'per_step', 50, 'Workflow step'],
] as const;

/** Inserts the seed packages and rules that are not there yet; never changes existing rows. */
export async function seed(db: Kysely<DB>, now = Date.now()): Promise<{ packages: number; rules: number }> {
  const pk = await db
    .insertInto('credit_packages')
    .values(
      SEED_PACKAGES.map((p) => ({
        id: p.id,
        name: p.name,
        credits_mc: p.credits * 1000,
        bonus_credits_mc: p.bonus * 1000,
        price_cents: p.priceCents,
        currency: 'usd',
        popular: p.popular ? 1 : 0,
        active: 1,
        created_at: now,
        updated_at: now,
      })),
    )
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  const existing = await db.selectFrom('credit_pricing').select(['operation', 'unit']).execute();
  const have = new Set(existing.map((r) => `${r.operation}/${r.unit}`));
  const missing = SEED_PRICING.filter(([op, unit]) => !have.has(`${op}/${unit}`));
  let rules = 0;
  if (missing.length > 0) {
    // Another instance starting at the same moment may insert the same rules first.
    const r = await db
      .insertInto('credit_pricing')
      .values(
        missing.map(([operation, unit, mc, description]) => ({
          id: `rule_${operation}_${unit}_v1`,
          operation,
          unit,
          credits_mc: mc,
          description,
          version: 1,
          active: 1,
          supersedes_id: null,
          created_at: now,
        })),
      )
      .onConflict((oc) => oc.doNothing())
      .executeTakeFirst();
    rules = Number(r.numInsertedOrUpdatedRows ?? 0n);
  }
  return { packages: Number(pk.numInsertedOrUpdatedRows ?? 0n), rules };
}
