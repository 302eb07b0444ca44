/**
 * An example request and answer for every operation of the OpenAPI document, added to
 * it by `decorateDocument` (test/api/openapi.test.ts checks each against its schema).
 * Keyed by "METHOD /path" as the document names the path.
 */
import { ACCOUNT_EXAMPLES } from './openapi-examples/account.js';
import { ADMIN_EXAMPLES } from './openapi-examples/admin.js';
import { ADMIN_ORG_EXAMPLES } from './openapi-examples/admin-orgs.js';
import { GRANTS_EXAMPLES } from './openapi-examples/grants.js';
import { METERED_EXAMPLES } from './openapi-examples/metered.js';
import { ORGS_EXAMPLES } from './openapi-examples/orgs.js';
import type { Example } from './openapi-examples/samples.js';
import { SERVICE_EXAMPLES } from './openapi-examples/service.js';

export const EXAMPLES: Record<string, Example> = {
  ...ACCOUNT_EXAMPLES,
  ...METERED_EXAMPLES,
  ...ADMIN_EXAMPLES,
  ...ADMIN_ORG_EXAMPLES,
  ...GRANTS_EXAMPLES,
  ...SERVICE_EXAMPLES,
  ...ORGS_EXAMPLES,
};
