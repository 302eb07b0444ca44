import { useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import type { ResponseOf } from '../../../contracts/endpoints';
import { api } from '../../api/client';
import { DialogActions } from '../../components/Actions';
import { DialogForm } from '../../components/Dialog';
import { CreditsField, SelectField, fieldErrors } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import type { Account } from '../../lib/account';
import { creditsText } from '../../lib/format';
import { keys } from '../../lib/query-keys';
import { useSession } from '../../lib/session';

export type Member = ResponseOf<'GET /api/orgs/:id/members'>['items'][number];
type Role = Member['role'];

/** After a change to the team: its list, and the accounts (the user's own role may have changed). */
function useTeamChanged(org: Account) {
  const queryClient = useQueryClient();
  const { token } = useSession();
  return () => {
    void queryClient.invalidateQueries({ queryKey: keys.members(org.id) });
    void queryClient.invalidateQueries({ queryKey: keys.accounts(token) });
  };
}

/**
 * Changes a member's role and monthly limit (credits per calendar month, UTC; blank for none).
 * Only what changed is sent, so an admin who changes a limit does not touch the role.
 */
export function MemberDialog({ org, member, onClose }: { org: Account; member: Member; onClose(): void }) {
  const [role, setRole] = useState<Role>(member.role);
  const [limit, setLimit] = useState(member.monthlyLimit === null ? '' : String(member.monthlyLimit));
  const [touched, setTouched] = useState(false);
  const changed = useTeamChanged(org);
  const limitValue = limit.trim() === '' ? null : Number(limit);
  const limitBad = limitValue !== null && (!Number.isFinite(limitValue) || limitValue < 0);
  const body = {
    ...(role !== member.role ? { role } : {}),
    ...(limitValue !== member.monthlyLimit ? { monthlyLimit: limitValue } : {}),
  };
  const save = useSubmitMutation({
    mutationFn: () => api('PATCH /api/orgs/:id/members/:userId', { params: { id: org.id, userId: member.userId }, body }),
    onSuccess: () => {
      changed();
      onClose();
    },
  });
  const fe = fieldErrors(save.error);
  const who = member.name || member.email;
  return (
    <DialogForm
      title={`Change ${who}`}
      onClose={onClose}
      description={`${who} used ${creditsText(member.usedThisMonth)} this month.`}
      onSubmit={() => {
        setTouched(true);
        if (limitBad) return;
        if (Object.keys(body).length === 0) onClose();
        else save.mutate();
      }}
    >
      <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)} error={fe.role}>
        <option value="member">Member</option>
        <option value="admin">Admin</option>
        {/* Only an owner gives or takes the owner role (the API refuses an admin's): not offered to admins. */}
        {org.role === 'owner' || member.role === 'owner' ? <option value="owner">Owner</option> : null}
      </SelectField>
      <CreditsField
        label="Monthly limit (credits)"
        min={0}
        value={limit}
        onChange={setLimit}
        hint={touched && limitBad ? undefined : 'Blank: no limit. Counted per calendar month (UTC).'}
        error={touched && limitBad ? 'Enter 0 or more credits, or leave it blank for no limit.' : fe.monthlyLimit}
      />
      <ErrorMessage error={save.error} inline={['role', 'monthlyLimit']} />
      <DialogActions onCancel={onClose} submit={save.isPending ? 'Saving…' : 'Save'} busy={save.isPending} />
    </DialogForm>
  );
}

/** Removes a member (the last owner cannot be: the server says so, 409). */
export function RemoveMemberDialog({ org, member, onClose }: { org: Account; member: Member; onClose(): void }) {
  const changed = useTeamChanged(org);
  const remove = useSubmitMutation({
    mutationFn: () => api('DELETE /api/orgs/:id/members/:userId', { params: { id: org.id, userId: member.userId } }),
    onSuccess: () => {
      changed();
      onClose();
    },
  });
  const who = member.name || member.email;
  return (
    <DialogForm title={`Remove ${who}?`} onClose={onClose} onSubmit={() => remove.mutate()}>
      <p>
        {who} can no longer spend from {org.name}’s balance, from their next request on. What they spent stays in the history.
      </p>
      <ErrorMessage error={remove.error} />
      <DialogActions onCancel={onClose} submit={remove.isPending ? 'Removing…' : 'Remove member'} busy={remove.isPending} danger />
    </DialogForm>
  );
}
