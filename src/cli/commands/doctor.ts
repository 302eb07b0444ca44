/** `credits doctor`, and the same checks at a production start (`credits serve` with NODE_ENV=production). */
import type { Command } from 'commander';
import type { Config } from '../../config.js';
import { type Finding, runDoctor } from '../../doctor.js';

const LABEL = { ok: 'ok      ', warning: 'WARNING ', blocking: 'BLOCKING' } as const;

function print(findings: Finding[], all: boolean, write: (line: string) => void) {
  for (const f of findings) {
    if (!all && f.severity === 'ok') continue;
    write(`  ${LABEL[f.severity]} ${f.check}: ${f.message}`);
    if (f.fix) write(`           fix: ${f.fix}`);
  }
}

export function doctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'check the configuration a production start would use (secrets, Stripe, webhooks, data directory, backups, database, clock); exits 1 on a blocking finding',
    )
    .action(async () => {
      const findings = await runDoctor(process.env);
      print(findings, true, (l) => console.log(l));
      const blocking = findings.filter((f) => f.severity === 'blocking').length;
      const warnings = findings.filter((f) => f.severity === 'warning').length;
      console.log(
        blocking > 0
          ? `doctor: ${blocking} blocking, ${warnings} warning(s): a production start would refuse to start`
          : `doctor: no blocking finding, ${warnings} warning(s)`,
      );
      if (blocking > 0) process.exitCode = 1;
    });
}

/** In production, runs the doctor first: prints the warnings, and refuses to start (exit 2) on a blocking finding. */
export async function refuseUnsafeStart(c: Config): Promise<void> {
  if (!c.isProduction) return;
  const findings = await runDoctor(process.env);
  const blocking = findings.filter((f) => f.severity === 'blocking');
  for (const f of findings.filter((x) => x.severity === 'warning'))
    console.warn(`credits: warning: ${f.check}: ${f.message}${f.fix ? ` (fix: ${f.fix})` : ''}`);
  if (blocking.length === 0) return;
  console.error('credits: refusing to start in production:');
  print(blocking, false, (l) => console.error(l));
  console.error('credits: `credits doctor` shows every check');
  process.exit(2);
}
