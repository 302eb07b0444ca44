/** `credits reconcile --from --to`: the period's payments and refunds in the database against Stripe's; exit 1 on any difference. */
import { type Command, InvalidArgumentError } from 'commander';
import { isoDate, isoDateEnd } from '../../contracts/common.js';
import { reconcilePayments } from '../../core/payments/reconcile-payments.js';
import { StripeProvider } from '../../integrations/stripe/stripe-provider.js';
import { commandConfig, openExistingDatabase } from '../open-existing.js';

const NAME = 'reconcile';

const date = (schema: typeof isoDate | typeof isoDateEnd) => (v: string) => {
  const r = schema.safeParse(v);
  if (!r.success) throw new InvalidArgumentError('must be an ISO-8601 date or date-time (UTC when no zone is given)');
  return r.data;
};

export function reconcileCommand(program: Command): void {
  program
    .command(NAME)
    .description(
      'compare the succeeded payments and the refunds of a period in the database with Stripe’s, print every difference; exit 1 on any',
    )
    .requiredOption('--from <date>', 'start, inclusive: an ISO-8601 date (UTC midnight) or date-time', date(isoDate))
    .option('--to <date>', 'end, exclusive; a date includes that whole day (default: now)', date(isoDateEnd))
    // Exit 1 means differences found: an argument it cannot read (a malformed or missing --from) is 2, "cannot run".
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
    .action(async (o: { from: number; to?: number }) => {
      const config = commandConfig();
      if (!config.stripe) {
        console.error(
          `credits ${NAME}: Stripe is not configured (STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET, STRIPE_PUBLISHABLE_KEY): nothing to reconcile with`,
        );
        process.exit(2);
      }
      const range = { from: o.from, to: o.to ?? Date.now() };
      if (range.to <= range.from) {
        console.error(`credits ${NAME}: --to must be after --from`);
        process.exit(2);
      }
      const stripe = new StripeProvider(config.stripe.secretKey, config.stripe.webhookSecret, config.stripe.apiBase);
      const { database } = await openExistingDatabase(NAME);
      try {
        const r = await reconcilePayments(database.db, stripe, range);
        console.log(
          `reconcile: ${new Date(r.from).toISOString()} to ${new Date(r.to).toISOString()}: Stripe lists ${r.stripePayments} succeeded payment(s) and ${r.stripeRefunds} refund(s); the database has ${r.databasePayments} succeeded Stripe payment(s)`,
        );
        for (const d of r.differences) console.log(`  ${d.kind}  ${d.intentId ?? '-'}  ${d.paymentId ?? '-'}  ${d.message}`);
        if (r.differences.length > 0) {
          console.log(`reconcile: ${r.differences.length} difference(s)`);
          process.exitCode = 1;
        } else console.log('reconcile: no differences');
      } catch (e) {
        console.error(`credits ${NAME}: ${(e as Error).message}`);
        process.exitCode = 2;
      } finally {
        await database.close();
      }
    });
}
