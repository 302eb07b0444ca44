/** What `credits serve` prints for the operator at start-up. */
import type { Config } from '../config.js';
import { metricsOnMainPort } from '../server/metrics.js';

/** What `credits serve` prints while no super admin exists: the setup link and the alternative. */
export function setupInstructions(url: string, token: string): string[] {
  return [
    'no super admin yet. Open this one-time link in a browser to create one (valid 24 hours):',
    `  ${url}/setup?token=${token}`,
    'or set SUPER_ADMIN_EMAIL and SUPER_ADMIN_PASSWORD and restart.',
  ];
}

/** What an operator should know at start-up: where the VAPI secret is, where the metrics are. */
export function startupNotices(config: Config, url: string, metricsUrl: string | undefined): string[] {
  const out: string[] = [];
  // A mistyped NODE_ENV ('prod') starts in development mode: say so, as `credits doctor` does.
  if (!['development', 'production', 'test'].includes(config.env)) {
    out.push(
      `WARNING: NODE_ENV is '${config.env}', not 'production': the service runs in development mode (generated secrets, simulated payments). Set NODE_ENV=production for a production start.`,
    );
  }
  const hook = `${config.publicUrl ?? (url || 'http://<host>')}/api/vapi/webhook`;
  if (config.vapi.webhookSecretFile) {
    out.push(
      `VAPI webhook: its secret was generated in ${config.vapi.webhookSecretFile}; in VAPI, set the server URL to ${hook} ` +
        'and a header x-vapi-secret with the contents of that file (or set VAPI_WEBHOOK_SECRET to a secret of your own). Reports without it get 401.',
    );
  } else if (config.vapi.webhookSecret) {
    out.push(`VAPI webhook: ${hook}, with the header x-vapi-secret set to VAPI_WEBHOOK_SECRET.`);
  } else {
    out.push(
      `VAPI webhook: refuses every report until VAPI_WEBHOOK_SECRET is set (then give VAPI ${hook} and that secret as the header x-vapi-secret).`,
    );
  }
  if (metricsUrl) out.push(`metrics: ${metricsUrl}${config.metrics.token ? ' (Bearer METRICS_TOKEN)' : ''}, not on the main port`);
  else if (!metricsOnMainPort(config)) out.push('metrics: off (in production /metrics needs METRICS_TOKEN or METRICS_PORT)');
  return out;
}
