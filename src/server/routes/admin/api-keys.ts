import { idParam } from '../../../contracts/common.js';
import { apiKeyCreateBody, apiKeyCreateResponse, apiKeyRevokeResponse, apiKeysList } from '../../../contracts/service.js';
import { createApiKey } from '../../../core/api-keys/create-api-key.js';
import { listApiKeys } from '../../../core/api-keys/list-api-keys.js';
import { revokeApiKey } from '../../../core/api-keys/revoke-api-key.js';
import type { ApiKeysTable } from '../../../db/schema.js';
import type { App, AppContext } from '../../context.js';
import { adminOnlyRoutes, answers } from '../../route-docs.js';
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
  const route = adminOnlyRoutes(ctx);

  app.post(
    '/api/admin/api-keys',
    route(
      'Create an API key',
      'Admins only. Makes a key for the service API (`ck_live_...`) and answers it once in `key`: only its SHA-256 hash is stored, so it cannot be shown again. Audited.',
      { body: apiKeyCreateBody, response: answers({ 201: apiKeyCreateResponse }, 400, 401, 403) },
    ),
    async (req, reply) => {
      const { row, key } = await createApiKey(ctx.core.writer, { name: req.body.name, actorId: principal(req).id });
      const { id, name, prefix, createdAt } = toApiKey(row);
      return reply.status(201).send({ apiKey: { id, name, prefix, createdAt }, key });
    },
  );

  app.get(
    '/api/admin/api-keys',
    route(
      'API keys',
      'Admins only. Every key, revoked ones too, newest first, with its prefix, last use (to the minute) and revocation time. Never the key itself.',
      { response: answers({ 200: apiKeysList }, 401, 403) },
    ),
    async () => ({ items: (await listApiKeys(ctx.core.database.db)).map(toApiKey) }),
  );

  app.delete(
    '/api/admin/api-keys/:id',
    route(
      'Revoke an API key',
      'Admins only. The key is refused from now on: at once on this instance and, on PostgreSQL, on every other one (the revocation is announced to them); on SQLite another instance refuses it within a second (keys are cached one second at most). Revoking a revoked key changes nothing. Audited.',
      { params: idParam, response: answers({ 200: apiKeyRevokeResponse }, 401, 403, 404) },
    ),
    async (req) => {
      const row = await revokeApiKey(ctx.core.writer, { id: req.params.id, actorId: principal(req).id });
      ctx.apiKeys.invalidate();
      return { apiKey: toApiKey(row) };
    },
  );
}
