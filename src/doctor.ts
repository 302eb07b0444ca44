/**
 * `credits doctor`: checks the configuration a production start would use, and the things
 * around it (data directory, backups, database, clock), and says how to fix each problem.
 * A `blocking` finding makes a production start (`credits serve` with NODE_ENV=production)
 * refuse to start; a `warning` is printed and the start goes on.
 *
 * The environment is read as production reads it, whatever NODE_ENV says, so the doctor
 * can be run before the switch.
 */
import { type Config, ConfigError, loadConfig } from './config.js';
import { checkDatabase } from './doctor/database.js';
import { checkEnvironment } from './doctor/environment.js';
import { checkFiles } from './doctor/files.js';
import type { DoctorOptions, Finding } from './doctor/finding.js';

export { checkDatabase } from './doctor/database.js';
export { checkEnvironment, estimatedBits } from './doctor/environment.js';
export { checkFiles } from './doctor/files.js';
export type { DoctorOptions, Finding, Severity } from './doctor/finding.js';

/**
 * Every finding for the environment `env`, as a production start would read it. When the
 * configuration cannot be loaded its problems are findings too, and the checks that need
 * it are skipped.
 */
export async function runDoctor(env: NodeJS.ProcessEnv, opts: DoctorOptions = {}): Promise<Finding[]> {
  const findings = checkEnvironment(env);
  const reported = new Set(findings.filter((f) => f.severity === 'blocking').map((f) => f.check));
  // What the findings above already say is taken out, so that the rest can still be checked.
  const rest: NodeJS.ProcessEnv = { ...env, NODE_ENV: 'production' };
  if (reported.has('jwt_secret')) rest.JWT_SECRET = 'x'.repeat(64);
  if (reported.has('stripe_webhook_secret')) {
    delete rest.STRIPE_SECRET_KEY;
    delete rest.STRIPE_WEBHOOK_SECRET;
  }
  let config: Config;
  try {
    config = loadConfig(rest);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const line of e.message.split('\n').slice(1)) {
      const problem = line.trim();
      if (!problem) continue;
      const variable = /^([A-Z_]+)/.exec(problem)?.[1];
      findings.push({
        check: 'config',
        severity: 'blocking',
        message: problem,
        fix: variable ? `correct ${variable} (README, Configuration)` : 'correct the configuration (README, Configuration)',
      });
    }
    return findings;
  }
  findings.push(...checkFiles(config));
  if (!opts.skipDatabase) findings.push(...(await checkDatabase(config, opts)));
  return findings;
}
