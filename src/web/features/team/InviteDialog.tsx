import { useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import type { ResponseOf } from '../../../contracts/endpoints';
import { api } from '../../api/client';
import { DialogActions } from '../../components/Actions';
import { DialogForm } from '../../components/Dialog';
import { fieldErrors, SelectField, TextField } from '../../components/Field';
import { SecretShownOnce } from '../../components/SecretShownOnce';
import { ErrorMessage } from '../../components/ui';
import type { Account } from '../../lib/account';
import { formatDate } from '../../lib/format';
import { keys } from '../../lib/query-keys';

type Invitation = ResponseOf<'POST /api/orgs/:id/invitations'>['invitation'];

/**
 * The link an invited user opens, the same as the mailed one: the token in the fragment, so it
 * never reaches a server's request log; the page accepts it once they are signed in.
 */
export function invitationLink(token: string): string {
  return `${location.origin}/accept-invitation#token=${encodeURIComponent(token)}`;
}

/**
 * "Invite member": an email and a role; the answer's link is shown once (only the token's hash
 * is kept, so it cannot be shown again), with "Copy". It is also mailed when the server sends mail.
 */
export function InviteDialog({ org, onClose }: { org: Account; onClose(): void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<'member' | 'admin' | 'owner'>('member');
  const queryClient = useQueryClient();
  const invite = useSubmitMutation({
    mutationFn: () => api('POST /api/orgs/:id/invitations', { params: { id: org.id }, body: { email: email.trim(), role } }),
    // The new invitation joins "Pending invitations".
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: keys.invitations(org.id) }),
  });
  const fe = fieldErrors(invite.error);
  const made: Invitation | undefined = invite.data?.invitation;
  if (made) {
    return (
      <SecretShownOnce
        title="Invite member"
        secret={invitationLink(made.token)}
        testId="invitation-link"
        closeLabel="Done"
        onClose={onClose}
      >
        <p role="status">
          Invitation made for <strong>{made.email}</strong> as {made.role}, valid until {formatDate(made.expiresAt)}. Send them this link
          (it is mailed to them too when this server sends mail). It is <strong>shown only once</strong>: only its hash is kept.
        </p>
      </SecretShownOnce>
    );
  }
  return (
    <DialogForm title="Invite member" onClose={onClose} onSubmit={() => invite.mutate()}>
      <TextField label="Email" type="email" autoComplete="off" value={email} onChange={setEmail} required error={fe.email} data-autofocus />
      <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as typeof role)} error={fe.role}>
        <option value="member">Member: spends from the balance</option>
        <option value="admin">Admin: also buys credits and manages the team</option>
        {/* Only an owner may make another owner (the API refuses an admin's): not offered to admins. */}
        {org.role === 'owner' ? <option value="owner">Owner: also gives and takes the owner role</option> : null}
      </SelectField>
      <ErrorMessage error={invite.error} inline={['email', 'role']} />
      <DialogActions onCancel={onClose} submit={invite.isPending ? 'Inviting…' : 'Send invitation'} busy={invite.isPending} />
    </DialogForm>
  );
}
