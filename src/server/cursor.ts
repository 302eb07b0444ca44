/**
 * Opaque page cursors: the position as JSON, signed with an HMAC so a cursor the
 * server did not issue is refused (400) rather than misread.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Page, PageKey, PageRequest } from '../core/paginate.js';
import { HttpError } from './http-errors.js';

/** Reads the position of a list ordered by a time, then an id (the pair the cursor holds). */
export function timeThenId(v: unknown): readonly [at: number, id: string] {
  const [at, id] = Array.isArray(v) ? v : [];
  return [Number(at), String(id)];
}

export class Cursors {
  constructor(private readonly secret: string) {}

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(`cursor:${payload}`).digest('base64url').slice(0, 22);
  }

  encode(position: Record<string, PageKey>): string {
    const payload = Buffer.from(JSON.stringify(position)).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** The position of a cursor this server issued; 400 otherwise. */
  decode<T extends Record<string, string | number>>(cursor: string | undefined): T | null {
    if (cursor === undefined) return null;
    const [payload, sig] = cursor.split('.');
    const bad = () =>
      new HttpError('validation_error', 'The cursor is not one this server issued.', {
        fields: [{ path: 'cursor', message: 'invalid cursor' }],
      });
    if (!payload || !sig) throw bad();
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(sig);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw bad();
    try {
      const v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad();
      return v as T;
    } catch {
      throw bad();
    }
  }

  /**
   * The page a list request asks for: its `limit`, and the position its cursor holds under
   * `field` (read with `as`: String or Number).
   */
  request<K extends PageKey>(q: { limit: number; cursor?: string | undefined }, field: string, as: (v: unknown) => K): PageRequest<K> {
    const position = this.decode(q.cursor);
    return { limit: q.limit, after: position ? as(position[field]) : undefined };
  }

  /**
   * A list answered a page at a time, its cursor's field named once: the position the
   * request's cursor holds under `field` (read with `as`) goes to `load`, and its page comes
   * back as the contract answers it, the rows presented, the next cursor under `field`.
   */
  async list<T, U, K extends PageKey>(
    q: { limit: number; cursor?: string | undefined },
    field: string,
    as: (v: unknown) => K,
    load: (page: PageRequest<K>) => Promise<Page<T, K>>,
    present: (row: T) => U,
  ): Promise<{ items: U[]; nextCursor: string | null }> {
    return this.answer(await load(this.request(q, field, as)), field, present);
  }

  /** A page as the contract answers it: its items, and the cursor of the next page under `field` (null at the end). */
  answer<T, U, K extends PageKey>(page: Page<T, K>, field: string, present: (row: T) => U): { items: U[]; nextCursor: string | null } {
    return { items: page.rows.map((r) => present(r)), nextCursor: page.next === null ? null : this.encode({ [field]: page.next }) };
  }
}
