/**
 * A user named by the platform's own id (`users.external_id`): a platform token's `sub`,
 * or the service API's customer. Found, or created on first sight with their personal
 * account, exactly once however many first requests race (the id is unique: the loser of
 * a race reads the winner's user).
 *
 * The one way a user is made or found by external id: a platform token's first sight
 * (src/server/auth) and the service API's `PUT /api/v1/customers/:externalId` (personal
 * customers, upsert-customer.ts) both come here, so a token with `sub` X and the customer X
 * are the same user whichever arrives first.
 *
 * The email is the given one when it is free. When another user already has it: the
 * service API (`emailTaken: 'conflict'`) is answered 409 and nothing is written; a token's
 * claim takes that user as this one only if the caller vouches for the address
 * (`linkEmail`: the token says `email_verified`), the user has no platform id yet and is a
 * plain user (never an admin or the super admin: a role comes from AUTH_ROLE_CLAIM);
 * otherwise the new user gets a placeholder address under `.invalid` (reserved: never
 * deliverable), so no claim of an address takes over an account that holds it.
 *
 * External ids are one namespace with organisations': an id an organisation holds is 409.
 */
import { hash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB, Role } from '../../db/schema.js';
import { isUniqueViolation } from '../../db/errors.js';
import type { LedgerWriter } from '../ledger/writer.js';
import { externalIdTaken } from '../orgs/create-organization.js';
import { conflict } from '../errors.js';
import { createUser, normalizeEmail } from './create-user.js';

export interface ExternalIdentity {
  externalId: string;
  email?: string | null | undefined;
  name?: string | null | undefined;
  /** The caller vouches that the address is the user's: an existing user holding it (and no platform id) becomes this one. */
  linkEmail?: boolean;
  /**
   * An address another user holds: `placeholder` (default; a token's claim: a new user gets a
   * placeholder, an existing one keeps theirs) or `conflict` (the service API named it: 409
   * `conflict`, nothing written).
   */
  emailTaken?: 'placeholder' | 'conflict';
}

export interface ExternalUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  externalId: string;
  tokenVersion: number;
  createdAt: number;
  /** True when this call created the user. */
  created: boolean;
}

export interface EnsureOptions {
  signupBonusMc?: number;
}

const MAX_EXTERNAL_ID = 255;
// C0 controls, DEL and C1 controls: never part of an id, an address or a name.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
const CONTROLS_ALL = /[\u0000-\u001f\u007f-\u009f]/g;

/** A usable address from a claim, or null. */
export function cleanEmail(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const e = normalizeEmail(v);
  return e.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(e) && !CONTROLS.test(e) ? e : null;
}

/** A display name from a claim, or null. */
export function cleanName(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const n = v.replace(CONTROLS_ALL, ' ').trim().slice(0, 100);
  return n.length > 0 ? n : null;
}

/** The placeholder address of a platform user whose own is absent or held by another user. */
export function placeholderEmail(externalId: string): string {
  return `ext-${hash('sha256', externalId).slice(0, 24)}@users.invalid`;
}

export function validExternalId(id: string): boolean {
  return id.length > 0 && id.length <= MAX_EXTERNAL_ID && !CONTROLS.test(id);
}

type Row = { id: string; email: string; name: string; role: Role; external_id: string | null; token_version: number; created_at: number };

function toExternal(r: Row, externalId: string, created: boolean): ExternalUser {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    externalId,
    tokenVersion: r.token_version,
    createdAt: r.created_at,
    created,
  };
}

const COLUMNS = ['id', 'email', 'name', 'role', 'external_id', 'token_version', 'created_at'] as const;

export const emailTakenConflict = () =>
  conflict('Another account already uses this email; a customer is never joined to an existing account by its address.');

/** 409 when an organisation holds this external id (an account of another kind than a user's). */
async function assertNotOrganization(db: Kysely<DB>, externalId: string): Promise<void> {
  const account = await db.selectFrom('accounts').select('kind').where('external_id', '=', externalId).executeTakeFirst();
  if (account && account.kind !== 'personal') throw externalIdTaken(externalId);
}

/**
 * The user with this platform id, created (with a personal account and the sign-up
 * bonus) when there is none. An existing user's name and email follow the identity when
 * they changed (the email only when no other user holds it).
 */
export async function ensureExternalUser(
  writer: LedgerWriter,
  db: Kysely<DB>,
  identity: ExternalIdentity,
  opts: EnsureOptions = {},
): Promise<ExternalUser> {
  const { externalId } = identity;
  if (!validExternalId(externalId)) throw new Error('external id must be 1 to 255 characters without control characters');
  const email = cleanEmail(identity.email);
  const name = cleanName(identity.name);
  const strict = identity.emailTaken === 'conflict';

  const existing = await db.selectFrom('users').select(COLUMNS).where('external_id', '=', externalId).executeTakeFirst();
  if (existing) return toExternal(await refresh(writer, db, existing, email, name, strict), externalId, false);
  await assertNotOrganization(db, externalId);

  if (email && identity.linkEmail) {
    const holder = await db.selectFrom('users').select(COLUMNS).where('email', '=', email).executeTakeFirst();
    // Never an administrator's account: who administers the service is the stored role or the
    // token's role claim (AUTH_ROLE_CLAIM, for as long as it says so), not whoever the identity
    // provider vouches holds that address. Such a clash gets the placeholder, as an unverified one.
    if (holder && holder.external_id === null && holder.role === 'user') {
      const linked = await writer
        .transaction(async ({ trx, now }) => {
          const r = await trx
            .updateTable('users')
            .set({ external_id: externalId, updated_at: now })
            .where('id', '=', holder.id)
            .where('external_id', 'is', null)
            // Still a plain user: a promotion committed since the read (another instance) is not linked either.
            .where('role', '=', 'user')
            .executeTakeFirst();
          // The personal account carries the same external id (one namespace with organisations').
          if (Number(r.numUpdatedRows) === 1) {
            await trx.updateTable('accounts').set({ external_id: externalId, updated_at: now }).where('id', '=', holder.id).execute();
          }
          return r;
        })
        .catch((e) => {
          if (isUniqueViolation(e)) return null; // another request linked or created this id first
          throw e;
        });
      if (linked && Number(linked.numUpdatedRows) === 1) return toExternal({ ...holder, external_id: externalId }, externalId, false);
      return ensureExternalUser(writer, db, { ...identity, linkEmail: false }, opts);
    }
  }

  const taken = email ? await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst() : undefined;
  if (taken && strict) throw emailTakenConflict();
  const address = email && !taken ? email : placeholderEmail(externalId);
  const displayName = name ?? (email ? (email.split('@')[0] as string) : externalId.slice(0, 100));
  try {
    const u = await createUser(writer, {
      email: address,
      name: displayName,
      externalId,
      role: 'user',
      signupBonusMc: opts.signupBonusMc ?? 0,
      emailVerified: false,
    });
    return { id: u.id, email: u.email, name: u.name, role: u.role, externalId, tokenVersion: 0, createdAt: u.createdAt, created: true };
  } catch (e) {
    // A concurrent first sight created it (unique external_id), or took the address in between.
    if (!isUniqueViolation(e) && (e as { code?: string }).code !== 'conflict') throw e;
    const winner = await db.selectFrom('users').select(COLUMNS).where('external_id', '=', externalId).executeTakeFirst();
    if (winner) return toExternal(await refresh(writer, db, winner, email, name, strict), externalId, false);
    await assertNotOrganization(db, externalId); // an organisation took the id in between
    if (strict) throw emailTakenConflict();
    if (address !== placeholderEmail(externalId))
      return ensureExternalUser(writer, db, { ...identity, email: null, linkEmail: false }, opts);
    throw e;
  }
}

/**
 * The user's name and email follow the identity when they changed (the personal account's
 * name with the user's). An address another user holds is kept from them: 409 when `strict`.
 */
async function refresh(
  writer: LedgerWriter,
  db: Kysely<DB>,
  row: Row,
  email: string | null,
  name: string | null,
  strict: boolean,
): Promise<Row> {
  const set: { email?: string; name?: string } = {};
  if (name && name !== row.name) set.name = name;
  if (email && email !== row.email) {
    const holder = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
    if (!holder) set.email = email;
    else if (strict) throw emailTakenConflict();
  }
  if (!set.name && !set.email) return row;
  const update = (values: { email?: string; name?: string }) =>
    writer.transaction(async ({ trx, now }) => {
      await trx
        .updateTable('users')
        .set({ ...values, updated_at: now })
        .where('id', '=', row.id)
        .execute();
      if (values.name) {
        await trx
          .updateTable('accounts')
          .set({ name: values.name, updated_at: now })
          .where('id', '=', row.id)
          .where('kind', '=', 'personal')
          .execute();
      }
    });
  try {
    await update(set);
    return { ...row, ...set };
  } catch (e) {
    // The address was taken in between: keep the old one.
    if (!isUniqueViolation(e)) throw e;
    if (strict) throw emailTakenConflict();
    if (set.name) await update({ name: set.name });
    return { ...row, ...(set.name ? { name: set.name } : {}) };
  }
}
