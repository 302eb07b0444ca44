/**
 * What OpenAPI says of health, metrics and the dashboard’s configuration, beyond the schemas
 * (merged into DOCS of server/openapi-docs.ts).
 */
import { type RouteDocs, refusing } from './route-doc.js';

export const OPS_DOCS: RouteDocs = {
  ...refusing([], {
    'GET /health/live': {
      summary: 'Liveness',
      description:
        'Answers 200 while the process runs, without touching the database: for a process supervisor deciding whether to restart it.',
    },
    'GET /health/ready': {
      summary: 'Readiness',
      description:
        '200 when the database answers and holds this release’s schema (its newest migration recorded); 503 when it does not answer (`unavailable`), when it answers without that schema (`unmigrated`: a database made again empty, or never migrated; every request would fail on it) or the service is stopping (`stopping`, after SIGTERM): for a load balancer deciding whether to send traffic here. `database` names the dialect (`sqlite` or `postgres`). `backups` tells how the scheduled backups of the embedded database go (`{enabled: false}` when off); a failing backup does not make the service unready.',
    },
    'GET /metrics': {
      summary: 'Prometheus metrics',
      description:
        'Request durations by route and status, ledger writer batch sizes and times, queue depth, credits charged per operation, the scheduled backups (last success and failure times, duration, size, counts by outcome) and the process’s own metrics, in the Prometheus text format. ' +
        'Open outside production; with METRICS_TOKEN set (required in production unless METRICS_PORT is) it needs `Authorization: Bearer <METRICS_TOKEN>`; with METRICS_PORT set it is served only on that port.',
    },
    'GET /api/config': {
      summary: 'What the dashboard needs to know',
      description:
        'Public. Which payment provider is active (`stripe`, `simulated` outside production, `none`), the Stripe publishable key when there is one, and the upload limit in MB.',
    },
  }),
};
