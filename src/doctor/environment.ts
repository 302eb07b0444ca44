/** The doctor's checks of the environment alone: secrets, keys, settings. */
import { PRODUCTION_PASSWORD_SCORE, passwordProblem, passwordScoreOf } from '../core/accounts/password-policy.js';
import { isPostgresUrl } from '../db/open.js';
import { type Finding, ok } from './finding.js';

const MIN_SECRET_BITS = 128;

/** Shannon entropy of the string's own character distribution, times its length: a rough guessability measure. */
export function estimatedBits(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * s.length;
}

const GENERATE = 'generate one with `openssl rand -base64 48`';

function secretFindings(name: string, value: string, what: string): Finding | null {
  if (value.length < 32) {
    return {
      check: name.toLowerCase(),
      severity: 'blocking',
      message: `${name} is ${value.length} characters; ${what}`,
      fix: `use at least 32 random characters: ${GENERATE}`,
    };
  }
  const bits = estimatedBits(value);
  if (bits < MIN_SECRET_BITS) {
    return {
      check: name.toLowerCase(),
      severity: 'blocking',
      message: `${name} looks guessable (about ${Math.round(bits)} bits of entropy, fewer than ${MIN_SECRET_BITS}); ${what}`,
      fix: `replace it with random characters: ${GENERATE}`,
    };
  }
  return null;
}

/**
 * A secret production refuses to start without: blocking when unset or when short or
 * guessable, else ok. `usedFor` says what it does, `ifGuessed` what guessing it allows,
 * `set` how to set it (the fix adds how to generate one).
 */
function requiredSecret(name: string, value: string | undefined, says: { usedFor: string; ifGuessed: string; set: string }): Finding {
  if (!value) {
    return {
      check: name.toLowerCase(),
      severity: 'blocking',
      message: `${name} is not set; production refuses to start without it (${says.usedFor})`,
      fix: `${says.set}: ${GENERATE}`,
    };
  }
  return secretFindings(name, value, says.ifGuessed) ?? ok(name.toLowerCase(), `${name} is set and long enough`);
}

/** The findings about the environment alone: secrets, keys, settings. */
export function checkEnvironment(env: NodeJS.ProcessEnv): Finding[] {
  const out: Finding[] = [];
  const v = (k: string) => {
    const x = env[k]?.trim();
    return x ? x : undefined;
  };

  if (env.NODE_ENV !== 'production') {
    out.push({
      check: 'node_env',
      severity: 'warning',
      message: `NODE_ENV is ${env.NODE_ENV ? `'${env.NODE_ENV}'` : 'unset'}: the service would start in development mode (generated secrets, simulated payments); these findings are for NODE_ENV=production`,
      fix: 'set NODE_ENV=production for a production start',
    });
  } else out.push(ok('node_env', 'NODE_ENV=production'));

  out.push(
    requiredSecret('JWT_SECRET', v('JWT_SECRET'), {
      usedFor: 'sessions are signed with it',
      ifGuessed: 'whoever guesses it can sign in as anyone',
      set: 'set JWT_SECRET',
    }),
    requiredSecret('LEDGER_KEY', v('LEDGER_KEY'), {
      usedFor: 'every ledger row is hashed under it',
      ifGuessed: 'whoever guesses it and can write to the database can rewrite the ledger so that verify passes',
      set: 'set LEDGER_KEY, kept apart from the database and its backups',
    }),
  );

  const serviceKey = v('SERVICE_API_KEY');
  if (serviceKey) {
    out.push(
      secretFindings('SERVICE_API_KEY', serviceKey, 'whoever guesses it can charge any account') ??
        ok('service_api_key', 'SERVICE_API_KEY is long enough'),
    );
  }

  const adminPassword = v('SUPER_ADMIN_PASSWORD');
  // The sign-up policy (zxcvbn-ts): a production start that has to create the super admin
  // refuses a password it refuses; one that passes but is under 12 characters is still worth a
  // word. The score is production's unless PASSWORD_MIN_SCORE says another (the doctor reads
  // the environment as production would).
  const score = passwordScoreOf(v('PASSWORD_MIN_SCORE')) ?? PRODUCTION_PASSWORD_SCORE;
  const policy = adminPassword ? passwordProblem(adminPassword, [v('SUPER_ADMIN_EMAIL') ?? ''], score) : null;
  if (adminPassword && (policy || adminPassword.length < 12)) {
    out.push({
      check: 'super_admin_password',
      severity: 'warning',
      message: `SUPER_ADMIN_PASSWORD is short or common${policy ? ` (${policy} A production start that has to create the super admin refuses it.)` : ''}; it is used only to create the super admin when it does not exist`,
      fix: 'use a long random password, sign in, change it (or unset SUPER_ADMIN_PASSWORD once the super admin exists)',
    });
  }

  const sk = v('STRIPE_SECRET_KEY');
  const pk = v('STRIPE_PUBLISHABLE_KEY');
  const whsec = v('STRIPE_WEBHOOK_SECRET');
  const skMode = sk ? /^(?:sk|rk)_(live|test)_/.exec(sk)?.[1] : undefined;
  const pkMode = pk ? /^pk_(live|test)_/.exec(pk)?.[1] : undefined;
  if (sk && !skMode) {
    out.push({
      check: 'stripe_keys',
      severity: 'blocking',
      message: 'STRIPE_SECRET_KEY does not look like a Stripe secret key (sk_live_..., sk_test_..., or a restricted rk_...)',
      fix: 'copy the secret key from the Stripe dashboard (Developers > API keys)',
    });
  }
  if (pk && !pkMode) {
    out.push({
      check: 'stripe_keys',
      severity: 'blocking',
      message: 'STRIPE_PUBLISHABLE_KEY does not look like a Stripe publishable key (pk_live_... or pk_test_...)',
      fix: 'copy the publishable key from the Stripe dashboard (Developers > API keys)',
    });
  }
  if (skMode && pkMode && skMode !== pkMode) {
    out.push({
      check: 'stripe_keys',
      severity: 'blocking',
      message: `the Stripe keys are of different modes: the secret key is ${skMode}, the publishable key ${pkMode}; card payments would fail`,
      fix: `use the ${skMode} publishable key with the ${skMode} secret key (both live, or both test)`,
    });
  }
  if (sk && !pk) {
    out.push({
      check: 'stripe_keys',
      severity: 'blocking',
      message: 'STRIPE_PUBLISHABLE_KEY is not set: the dashboard cannot show the card form (the service refuses to start)',
      fix: 'set STRIPE_PUBLISHABLE_KEY (pk_... of the same mode as the secret key)',
    });
  }
  if (pk && !sk) {
    out.push({
      check: 'stripe_keys',
      severity: 'warning',
      message: 'STRIPE_PUBLISHABLE_KEY is set without STRIPE_SECRET_KEY: Stripe is not used',
      fix: 'set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or unset STRIPE_PUBLISHABLE_KEY',
    });
  }
  // As production would see it, whatever NODE_ENV says now (doctor runs before the switch too).
  if (skMode === 'test') {
    out.push({
      check: 'stripe_keys',
      severity: 'warning',
      message: 'Stripe is in test mode: no real money is taken',
      fix: 'use the live keys (sk_live_..., pk_live_...) and the live webhook secret',
    });
  }
  if (skMode && !out.some((f) => f.check === 'stripe_keys')) out.push(ok('stripe_keys', `Stripe keys are both in ${skMode} mode`));
  if (sk && !whsec) {
    out.push({
      check: 'stripe_webhook_secret',
      severity: 'blocking',
      message:
        'STRIPE_SECRET_KEY is set without STRIPE_WEBHOOK_SECRET: payments would never credit anyone (the webhook cannot be verified)',
      fix: 'add an endpoint for /api/credits/stripe/webhook in the Stripe dashboard and set STRIPE_WEBHOOK_SECRET to its signing secret (whsec_...)',
    });
  } else if (whsec && !sk) {
    out.push({
      check: 'stripe_webhook_secret',
      severity: 'blocking',
      message: 'STRIPE_WEBHOOK_SECRET is set without STRIPE_SECRET_KEY',
      fix: 'set STRIPE_SECRET_KEY too, or unset STRIPE_WEBHOOK_SECRET',
    });
  } else if (whsec && !whsec.startsWith('whsec_')) {
    out.push({
      check: 'stripe_webhook_secret',
      severity: 'warning',
      message: 'STRIPE_WEBHOOK_SECRET does not start with whsec_: every webhook would fail its signature check',
      fix: "copy the endpoint's signing secret from the Stripe dashboard",
    });
  } else if (whsec) out.push(ok('stripe_webhook_secret', 'STRIPE_WEBHOOK_SECRET is set'));
  if (!sk) {
    const simulated = ['true', '1', 'yes'].includes(env.ALLOW_SIMULATED_PAYMENTS ?? '');
    out.push({
      check: 'payments',
      severity: 'warning',
      message: simulated
        ? 'ALLOW_SIMULATED_PAYMENTS is on in production: every purchase succeeds without money'
        : 'no Stripe keys: purchases answer 503 payments_unavailable (credits only come from admins, promotions and sign-up bonuses)',
      fix: 'set STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET and STRIPE_PUBLISHABLE_KEY (docs/payments.md)',
    });
  }

  if (v('VAPI_API_KEY') && !v('VAPI_WEBHOOK_SECRET')) {
    out.push({
      check: 'vapi_webhook_secret',
      severity: 'blocking',
      message:
        "VAPI_API_KEY is set without VAPI_WEBHOOK_SECRET: a production start is refused, since instances cannot share a secret each generates itself, and VAPI's end-of-call reports are refused (401) without the one they send",
      fix: 'set VAPI_WEBHOOK_SECRET and the same value as the server URL secret in VAPI (sent as x-vapi-secret)',
    });
  } else if (v('VAPI_WEBHOOK_SECRET')) {
    out.push(
      secretFindings('VAPI_WEBHOOK_SECRET', v('VAPI_WEBHOOK_SECRET') as string, 'whoever guesses it can end calls with any duration') ??
        ok('vapi_webhook_secret', 'VAPI_WEBHOOK_SECRET is set'),
    );
  }

  if (v('ALERTS_WEBHOOK_URL') && !v('ALERTS_WEBHOOK_SECRET')) {
    out.push({
      check: 'alerts_webhook_secret',
      severity: 'warning',
      message:
        'ALERTS_WEBHOOK_URL is set without ALERTS_WEBHOOK_SECRET: the receiver cannot tell our events from forged ones (its endpoint signs with a secret generated here that the receiver does not know)',
      fix: `set ALERTS_WEBHOOK_SECRET (${GENERATE}) and check webhook-signature in the receiver (docs/events.md)`,
    });
  }

  const postgres = isPostgresUrl(v('DATABASE_URL'));
  const synchronous = v('SQLITE_SYNCHRONOUS');
  if (!postgres && synchronous && synchronous !== 'FULL') {
    out.push({
      check: 'durability',
      severity: 'warning',
      message: `SQLITE_SYNCHRONOUS=${synchronous}: a power loss can lose acknowledged payments and charges`,
      fix: 'unset it (FULL), see docs/durability.md',
    });
  }
  if (postgres && v('PG_SYNCHRONOUS_COMMIT') === 'off') {
    out.push({
      check: 'durability',
      severity: 'warning',
      message: 'PG_SYNCHRONOUS_COMMIT=off: a PostgreSQL crash can lose the last acknowledged commits',
      fix: 'unset it, see docs/durability.md',
    });
  }
  if (v('CORS_ORIGIN') === '*') {
    out.push({
      check: 'cors',
      severity: 'warning',
      message: "CORS_ORIGIN=* lets any web page call the API with a user's token",
      fix: 'list the origins of your front ends, comma separated',
    });
  }
  return out;
}
