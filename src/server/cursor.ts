/**
 * Opaque page cursors: the position as JSON, signed with an HMAC over the list it came from
 * (the route's path), so a cursor the server did not issue, or issued for another list, is
 * refused (400) rather than misread.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Page, PageKey, PageRequest } from '../core/paginate.js';
import { HttpError } from './http-errors.js';

/** A list request: its page parameters and the route it was made to (Fastify's request has both). */
export interface ListRequest {
  query: { limit: number; cursor?: string | undefined };
  routeOptions: { url?: string | undefined };
}

/** Reads the position of a list ordered by a time, then an id (the pair the cursor holds); null if it is not one. */
export function timeThenId(v: unknown): readonly [at: number, id: string] | null {
  if (!Array.isArray(v) || v.length !== 2) return null;
  const [at, id] = v;
  return Number.isSafeInteger(at) && typeof id === 'string' ? [at, id] : null;
}

/** Reads a position that is a whole number (a sequence); null if it is not one. */
export function sequence(v: unknown): number | null {
  return Number.isSafeInteger(v) ? (v as number) : null;
}

/** Reads a position that is an id; null if it is not one. */
export function identifier(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

const badCursor = () =>
  new HttpError('validation_error', 'The cursor is not one this server issued for this list.', {
    fields: [{ path: 'cursor', message: 'invalid cursor' }],
  });

export class Cursors {
  constructor(private readonly secret: string) {}

  private sign(list: string, payload: string): string {
    return createHmac('sha256', this.secret).update(`cursor:${list}:${payload}`).digest('base64url').slice(0, 22);
  }

  /** A cursor for `position` in the list the request `req` was made to. */
  encode(req: ListRequest, position: Record<string, PageKey>): string {
    const payload = Buffer.from(JSON.stringify(position)).toString('base64url');
    return `${payload}.${this.sign(listOf(req), payload)}`;
  }

  /** The position of the request's cursor, which this server issued for the same list; 400 otherwise. */
  decode<T extends Record<string, unknown>>(req: ListRequest): T | null {
    const cursor = req.query.cursor;
    if (cursor === undefined) return null;
    const [payload, sig] = cursor.split('.');
    if (!payload || !sig) throw badCursor();
    const expected = Buffer.from(this.sign(listOf(req), payload));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw badCursor();
    try {
      const v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw badCursor();
      return v as T;
    } catch {
      throw badCursor();
    }
  }

  /**
   * The page a list request asks for: its `limit`, and the position its cursor holds under
   * `field` (read with `as`, which answers null for what is not a position of this list: 400).
   */
  request<K extends PageKey>(req: ListRequest, field: string, as: (v: unknown) => K | null): PageRequest<K> {
    const position = this.decode(req);
    if (!position) return { limit: req.query.limit, after: undefined };
    const after = as(position[field]);
    if (after === null) throw badCursor();
    return { limit: req.query.limit, after };
  }

  /**
   * A list answered a page at a time, its cursor's field named once: the position the
   * request's cursor holds under `field` (read with `as`) goes to `load`, and its page comes
   * back as the contract answers it, the rows presented, the next cursor under `field`.
   */
  async list<T, U, K extends PageKey>(
    req: ListRequest,
    field: string,
    as: (v: unknown) => K | null,
    load: (page: PageRequest<K>) => Promise<Page<T, K>>,
    present: (row: T) => U,
  ): Promise<{ items: U[]; nextCursor: string | null }> {
    return this.answer(req, await load(this.request(req, field, as)), field, present);
  }

  /** A page as the contract answers it: its items, and the cursor of the next page under `field` (null at the end). */
  answer<T, U, K extends PageKey>(
    req: ListRequest,
    page: Page<T, K>,
    field: string,
    present: (row: T) => U,
  ): { items: U[]; nextCursor: string | null } {
    return { items: page.rows.map((r) => present(r)), nextCursor: page.next === null ? null : this.encode(req, { [field]: page.next }) };
  }
}

/** The list a request reads: its route's path (with its parameters' names, so one endpoint's deliveries share a list). */
function listOf(req: ListRequest): string {
  return req.routeOptions.url ?? '';
}
