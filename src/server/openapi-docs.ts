/**
 * What the OpenAPI document says of every operation beyond the contract's schemas: its
 * summary and description, the refusals it answers with the contract's error, and the
 * description of a CSV answer. One entry per endpoint of the contract's map, keyed as the
 * map keys it (a route without one is refused when it registers); the examples are in
 * openapi-examples.ts. The routes register with these (route-docs.ts).
 */
import { ADMIN_DOCS } from './openapi-docs/admin.js';
import { AUTH_DOCS } from './openapi-docs/auth.js';
import { CREDITS_DOCS } from './openapi-docs/credits.js';
import { OPS_DOCS } from './openapi-docs/ops.js';
import { ORGS_DOCS } from './openapi-docs/orgs.js';
import { PLATFORM_DOCS } from './openapi-docs/platform.js';
import type { RouteDocs } from './openapi-docs/route-doc.js';
import { SERVICE_DOCS } from './openapi-docs/service.js';

export type { RefusalStatus, RouteDoc } from './openapi-docs/route-doc.js';

export const DOCS: RouteDocs = {
  ...OPS_DOCS,
  ...AUTH_DOCS,
  ...CREDITS_DOCS,
  ...PLATFORM_DOCS,
  ...ADMIN_DOCS,
  ...ORGS_DOCS,
  ...SERVICE_DOCS,
};
