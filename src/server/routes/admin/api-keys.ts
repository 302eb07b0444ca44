import { createApiKey } from '../../../core/api-keys/create-api-key.js';
import { listApiKeys } from '../../../core/api-keys/list-api-keys.js';
import { revokeApiKey } from '../../../core/api-keys/revoke-api-key.js';
import type { ApiKeysTable } from '../../../db/schema.js';
import type { App, AppContext } from '../../context.js';
import { adminOnlyRoutes } from '../../route-docs.js';
import { principal } from '../../plugins/auth.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toApiKey(r: ApiKeysTable) {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    createdAt: new Date(r.created_at).toISOString(),
    lastUsedAt: iso(r.last_used_at),
    revokedAt: iso(r.revoked_at),
  };
}

/** Admins create, list and revoke the service API's keys. */
export async function apiKeyRoutes(app: App, ctx: AppContext) {
  const route = adminOnlyRoutes(app, ctx);

  route('POST /api/admin/api-keys', async (req, reply) => {
    const { row, key } = await createApiKey(ctx.core.writer, { name: req.body.name, actorId: principal(req).id });
    const { id, name, prefix, createdAt } = toApiKey(row);
    return reply.status(201).send({ apiKey: { id, name, prefix, createdAt }, key });
  });

  route('GET /api/admin/api-keys', async () => ({ items: (await listApiKeys(ctx.core.database.db)).map(toApiKey) }));

  route('DELETE /api/admin/api-keys/:id', async (req) => {
    const row = await revokeApiKey(ctx.core.writer, { id: req.params.id, actorId: principal(req).id });
    ctx.apiKeys.invalidate();
    return { apiKey: toApiKey(row) };
  });
}
