/**
 * The OpenAPI document as a reader needs it: every operation has a summary, a
 * description and examples (each valid against its own schema), and the document says
 * what a `quantity` counts for each unit (seconds, bytes, tokens or a count), in its
 * description and on every quantity field.
 */
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNITS } from '../../src/contracts/money.js';
import { EXAMPLES } from '../../src/server/openapi-examples.js';
import { type TestServer, startTestServer } from '../support/server.js';

type Schema = Record<string, unknown>;
interface Media {
  schema?: Schema;
  example?: unknown;
}
interface Operation {
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema }[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { content?: Record<string, Media> }>;
}
interface Doc {
  info: { description?: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete']);

describe('the OpenAPI document', () => {
  let s: TestServer;
  let doc: Doc;
  const operations: { key: string; op: Operation }[] = [];

  beforeAll(async () => {
    s = await startTestServer('sqlite');
    const r = await s.api.request<Doc>('GET', '/openapi.json');
    expect(r.status).toBe(200);
    doc = r.body;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item))
        if (METHODS.has(method)) operations.push({ key: `${method.toUpperCase()} ${path}`, op });
    }
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('lists the refusals the routes give: 401, 404 for X-Account, 403 for a member, 400, 413 and 415 for a body', async () => {
    const documented = (method: string, path: string, status: number) =>
      Object.keys(doc.paths[path.replace(/:(\w+)/g, '{$1}')]?.[method]?.responses ?? {}).includes(String(status));
    const owner = await s.register();
    const member = await s.register();
    const org = (await owner.api.post('/api/orgs', { name: 'Documented' })).body.organization;
    const invite = await owner.api.post(`/api/orgs/${org.id}/invitations`, { email: member.user.email, role: 'member' });
    expect((await member.api.post(`/api/invitations/${invite.body.invitation.token}/accept`)).status).toBe(200);
    const as = { 'x-account': org.id };
    const seen: [string, string, number, number][] = [
      ['get', '/api/credits/balance', (await owner.api.get('/api/credits/balance', { 'x-account': 'nope' })).status, 404],
      ['get', '/api/credits/stream', (await s.api.get('/api/credits/stream')).status, 401],
      ['get', '/api/credits/payments', (await member.api.get('/api/credits/payments', as)).status, 403],
      ['put', '/api/credits/settings', (await member.api.put('/api/credits/settings', { lowBalanceThreshold: 2 }, as)).status, 403],
      ['post', '/api/credits/purchase', (await member.api.post('/api/credits/purchase', { packageId: 'pkg_starter' }, as)).status, 403],
      [
        'post',
        '/api/messages',
        (
          await owner.api.request('POST', '/api/messages', {
            raw: 'to=x&body=y',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          })
        ).status,
        415,
      ],
      [
        'post',
        '/api/credits/alerts/:id/read',
        (await owner.api.request('POST', '/api/credits/alerts/a1/read', { raw: '{', headers: { 'content-type': 'application/json' } }))
          .status,
        400,
      ],
      [
        'post',
        '/api/messages',
        (
          await owner.api.request('POST', '/api/messages', {
            raw: `{"to":"x","body":"${'y'.repeat(2_000_000)}"}`,
            headers: { 'content-type': 'application/json' },
          })
        ).status,
        413,
      ],
    ];
    for (const [method, path, got, want] of seen) {
      expect(got, `${method} ${path}`).toBe(want);
      expect(documented(method, path, got), `${method.toUpperCase()} ${path} answers ${got}, undocumented`).toBe(true);
    }
  });

  it('declares the Idempotency-Key header where the route reads it, required where it must be sent', () => {
    const header = (key: string) => {
      const op = operations.find((o) => o.key === key)?.op;
      expect(op, key).toBeDefined();
      return op?.parameters?.find((p) => p.in === 'header' && p.name === 'Idempotency-Key');
    };
    const optional = [
      'POST /api/credits/purchase',
      'POST /api/credits/redeem',
      'POST /api/messages',
      'POST /api/files',
      'POST /api/admin/users/{id}/adjustments',
      'POST /api/admin/payments/{id}/refund',
      'POST /api/v1/holds',
      'POST /api/v1/holds/{id}/capture',
    ];
    for (const key of optional) {
      expect(header(key), key).toMatchObject({ required: false, schema: { type: 'string', minLength: 1, maxLength: 255 } });
    }
    expect(header('POST /api/v1/usage')).toMatchObject({ required: true, schema: { type: 'string', minLength: 1, maxLength: 255 } });
    // The key of POST /api/usage is a field of its body; reads and other writes take none.
    for (const key of ['POST /api/usage', 'GET /api/credits/balance', 'POST /api/v1/holds/{id}/release', 'PATCH /api/admin/packages/{id}'])
      expect(header(key), key).toBeUndefined();
  });

  it('gives every operation a summary and a description', () => {
    expect(operations.length).toBeGreaterThan(40);
    const missing = operations
      .filter(({ op }) => !op.summary?.trim() || !op.description?.trim() || op.description.trim().length < 20)
      .map((o) => o.key);
    expect(missing).toEqual([]);
  });

  it('gives every operation an example answer, and a request example when it takes a body', () => {
    const missing: string[] = [];
    for (const { key, op } of operations) {
      const success = Object.entries(op.responses).find(([status]) => status.startsWith('2'));
      // 204 has no content to show (and none to parse: checked below).
      const shown = success?.[0] === '204' || Object.values(success?.[1].content ?? {}).some((m) => m.example !== undefined);
      if (!success || !shown) missing.push(`${key}: answer`);
      if (op.requestBody && !Object.values(op.requestBody.content).some((m) => m.example !== undefined)) missing.push(`${key}: request`);
    }
    expect(missing).toEqual([]);
    // No example is left over for an operation that is gone.
    const known = new Set(operations.map((o) => o.key));
    expect(Object.keys(EXAMPLES).filter((k) => !known.has(k))).toEqual([]);
  });

  it('says what every operation may refuse: 400 on a path parameter, 429 and 503 on the API (load shed, rate limited); a 204 has no content', () => {
    const wanting: string[] = [];
    for (const { key, op } of operations) {
      const [method = '', path = ''] = key.split(' ');
      if (path.includes('{') && !op.responses['400']) wanting.push(`${key}: 400`);
      if (path.startsWith('/api/') && !op.responses['503']) wanting.push(`${key}: 503`);
      if (path.startsWith('/api/') && !op.responses['429']) wanting.push(`${key}: 429`);
      if (op.responses['204']?.content) wanting.push(`${key}: 204 with content`);
      if (method === 'DELETE' && !op.responses['400']) wanting.push(`${key}: 400`);
    }
    expect(wanting).toEqual([]);
  });

  it('has examples that match their own schemas', () => {
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    // OpenAPI 3.0 schemas as JSON Schema: references into the document, and draft-4 style
    // boolean exclusiveMinimum/exclusiveMaximum as numbers.
    const resolve = (schema: unknown): unknown => {
      if (Array.isArray(schema)) return schema.map(resolve);
      if (!schema || typeof schema !== 'object') return schema;
      const out: Schema = Object.fromEntries(
        Object.entries(schema).map(([k, v]) => [
          k,
          k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `openapi.json${v}` : resolve(v),
        ]),
      );
      for (const [flag, bound] of [
        ['exclusiveMinimum', 'minimum'],
        ['exclusiveMaximum', 'maximum'],
      ] as const) {
        if (out[flag] === true) {
          out[flag] = out[bound];
          delete out[bound];
        } else if (out[flag] === false) delete out[flag];
      }
      return out;
    };
    ajv.addSchema(resolve({ $id: 'openapi.json', components: doc.components }) as Schema);
    const wrong: string[] = [];
    let checked = 0;
    for (const { key, op } of operations) {
      const media = [
        ...Object.entries(op.requestBody?.content ?? {}).map(([type, m]) => ({ where: `request ${type}`, m })),
        ...Object.entries(op.responses).flatMap(([status, r]) =>
          Object.entries(r.content ?? {}).map(([type, m]) => ({ where: `${status} ${type}`, m })),
        ),
      ];
      for (const { where, m } of media) {
        if (m.example === undefined || !m.schema) continue;
        checked++;
        const validate = ajv.compile(resolve(m.schema) as Schema);
        if (!validate(m.example)) wrong.push(`${key} ${where}: ${ajv.errorsText(validate.errors)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(checked).toBeGreaterThan(60);
  });

  it('says what a quantity counts for every unit, in its description and on every quantity field', () => {
    const info = doc.info.description ?? '';
    expect(info).toContain('| `per_minute` | seconds | 60 |');
    expect(info).toContain('| `per_mb` | bytes | 1,048,576 |');
    expect(info).toContain('| `per_1k_tokens` | tokens | 1000 |');
    for (const unit of Object.keys(UNITS)) expect(info).toContain(`\`${unit}\``);
    expect(info).toMatch(/charged 60 times too little/);

    const quantities: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (Array.isArray(node)) {
        for (const [i, n] of node.entries()) walk(n, `${where}[${i}]`);
        return;
      }
      if (!node || typeof node !== 'object') return;
      const props = (node as { properties?: Record<string, Schema> }).properties;
      if (props?.quantity) {
        quantities.push(where);
        const d = String(props.quantity.description ?? '');
        expect(d, `quantity at ${where}`).toMatch(/SECONDS for per_minute/);
        expect(d, `quantity at ${where}`).toMatch(/BYTES for per_mb/);
        expect(d, `quantity at ${where}`).toMatch(/TOKENS for per_1k_tokens/);
      }
      for (const [k, v] of Object.entries(node)) walk(v, `${where}.${k}`);
    };
    walk(doc.paths, 'paths');
    walk(doc.components, 'components');
    // estimate and usage bodies, the usage answer, the usage report and admin analytics.
    expect(quantities.length).toBeGreaterThanOrEqual(5);
    for (const key of ['POST /api/usage', 'POST /api/credits/estimate']) {
      const op = operations.find((o) => o.key === key)?.op;
      expect(op?.description, key).toMatch(/seconds/i);
    }
  });
});
