import { isUniqueViolation } from '../../db/errors.js';
import { DEFAULT_LOW_BALANCE_THRESHOLD_MC } from '../accounts/create-user.js';
import { insertAccount } from '../accounts/insert-account.js';
import { recordAudit } from '../audit/record-audit.js';
import { conflict } from '../errors.js';
import { newId } from '../ids.js';
import type { LedgerWriter, TransactionScope } from '../ledger/writer.js';
import { addMember } from './membership.js';

export interface CreatedOrganization {
  id: string;
  name: string;
  externalId: string | null;
}

export const externalIdTaken = (externalId: string) =>
  conflict('This external id names another account already (a user or an organisation): external ids are one namespace.', {
    externalId,
  });

/**
 * A new organisation: its account (empty balance, default settings) with the caller as its
 * `owner`, in one transaction, audited. An `externalId` any account has already (a user's
 * `sub` or another organisation's) is 409 and nothing is written.
 */
export async function createOrganization(
  writer: LedgerWriter,
  input: { ownerId: string; name: string; externalId?: string | undefined },
): Promise<CreatedOrganization> {
  const externalId = input.externalId ?? null;
  try {
    return await writer.transaction(async (scope) => {
      const { trx } = scope;
      if (externalId !== null) {
        const taken = await trx.selectFrom('accounts').select('id').where('external_id', '=', externalId).executeTakeFirst();
        if (taken) throw externalIdTaken(externalId);
      }
      const id = await insertOrganization(scope, { name: input.name, externalId, ownerId: input.ownerId }, { actorId: input.ownerId });
      return { id, name: input.name, externalId };
    });
  } catch (e) {
    // Another request took the external id between the check and the insert.
    if (externalId !== null && isUniqueViolation(e)) throw externalIdTaken(externalId);
    throw e;
  }
}

/**
 * The body of a new organisation, in the caller's transaction: its account (empty balance,
 * default settings), its owner when there is one, and the `organization.create` audit entry
 * (`details` adds to its name and external id). Returns the new account's id. Used by
 * createOrganization (a signed-in user's) and the service API's upsertCustomer.
 */
export async function insertOrganization(
  scope: TransactionScope,
  org: { name: string; externalId: string | null; ownerId: string | null },
  audit: { actorId: string | null; details?: Record<string, unknown> },
): Promise<string> {
  const { trx, now } = scope;
  const id = `org_${newId(now)}`;
  await insertAccount(scope, {
    id,
    kind: 'organization',
    name: org.name,
    externalId: org.externalId,
    lowBalanceThresholdMc: DEFAULT_LOW_BALANCE_THRESHOLD_MC,
    startingMc: 0,
  });
  if (org.ownerId !== null) await addMember(trx, id, org.ownerId, 'owner', now);
  await recordAudit(
    trx,
    {
      actorId: audit.actorId,
      action: 'organization.create',
      targetType: 'account',
      targetId: id,
      details: { name: org.name, externalId: org.externalId, ...audit.details },
    },
    now,
  );
  return id;
}
