import type { EndpointKey } from '../../contracts/endpoints.js';

/** The error statuses of the error table (http-errors.ts) a route may answer with the contract's error. */
export type RefusalStatus = 400 | 401 | 402 | 403 | 404 | 409 | 410 | 413 | 415 | 429 | 502 | 503;

/** What OpenAPI says of an operation beyond the contract's schemas. */
export interface RouteDoc {
  summary: string;
  description: string;
  /** The refusals it answers with the contract's error. */
  refuses: RefusalStatus[];
  /** The success answer is CSV text: its description (the schema of the text is the contract's). */
  csv?: string;
}

/** Docs by endpoint. */
export type RouteDocs = { [K in EndpointKey]?: RouteDoc };

/** The docs of operations that refuse the same statuses, the statuses written once. */
export function refusing(refuses: RefusalStatus[], docs: { [K in EndpointKey]?: Omit<RouteDoc, 'refuses'> }): RouteDocs {
  return Object.fromEntries(Object.entries(docs).map(([key, doc]) => [key, { ...doc, refuses }]));
}
