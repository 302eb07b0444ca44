import type { VapiClient } from '../../integrations/vapi/client.js';
import type { Core } from '../index.js';
import { abandonCall } from './start-call.js';
import { settleCall } from './settle-call.js';

/**
 * Settles calls whose end-of-call report never came, after their maximum length plus a
 * grace period: by the duration VAPI reports for the call when it can tell, else by the
 * maximum that was held. Calls stuck in `starting` (the process stopped between the hold
 * and VAPI's answer) for longer than the grace period are abandoned: hold released, start
 * charge returned. No hold lives forever.
 */
export async function sweepCalls(core: Core, vapi: VapiClient, graceSeconds: number): Promise<number> {
  const now = core.now();
  const db = core.database.db;
  const open = await db
    .selectFrom('vapi_calls')
    .selectAll()
    .where('status', 'in', ['in_progress', 'starting'])
    .where('created_at', '<', now - graceSeconds * 1000)
    .orderBy('created_at')
    .limit(200)
    .execute();
  let settled = 0;
  for (const c of open) {
    if (c.status === 'starting') {
      await abandonCall(core, c.id);
      settled++;
      continue;
    }
    if (c.created_at + (c.max_duration_seconds + graceSeconds) * 1000 > now || !c.vapi_id) continue;
    let durationMs = c.max_duration_seconds * 1000;
    if (!vapi.simulated) {
      try {
        const info = await vapi.getCall(c.vapi_id);
        if (info?.startedAt && info.endedAt) {
          const d = Date.parse(info.endedAt) - Date.parse(info.startedAt);
          if (Number.isFinite(d) && d >= 0) durationMs = Math.min(d, c.max_duration_seconds * 1000);
        }
      } catch {
        // VAPI unreachable: charge what was held, as for a simulated call.
      }
    }
    const r = await settleCall(core, c.vapi_id, durationMs);
    if (r?.settled) settled++;
  }
  return settled;
}
