import { useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import { api, setAccount } from '../../api/client';
import { DialogActions } from '../../components/Actions';
import { DialogForm } from '../../components/Dialog';
import { fieldErrors, TextField } from '../../components/Field';
import { ErrorMessage } from '../../components/ui';
import { keys } from '../../lib/query-keys';
import { useSession } from '../../lib/session';

/**
 * "Create organisation": a name and, for a platform that names its teams, an optional external
 * id. The user becomes its owner, and the dashboard switches to it: they made it to use it, and
 * its empty team page (with "Invite") is the next step.
 */
export function CreateOrgDialog({ onClose }: { onClose(): void }) {
  const [name, setName] = useState('');
  const [externalId, setExternalId] = useState('');
  const [touched, setTouched] = useState(false);
  const queryClient = useQueryClient();
  const { token } = useSession();
  const create = useSubmitMutation({
    mutationFn: () =>
      api('POST /api/orgs', { body: { name: name.trim(), ...(externalId.trim() ? { externalId: externalId.trim() } : {}) } }),
    onSuccess: async (r) => {
      await queryClient.invalidateQueries({ queryKey: keys.accounts(token) });
      setAccount(r.organization.id);
      onClose();
    },
  });
  const fe = fieldErrors(create.error);
  // Checked here first: nothing is sent without a name.
  const nameError = touched && name.trim() === '' ? 'Enter a name.' : fe.name;
  return (
    <DialogForm
      title="Create organisation"
      onClose={onClose}
      description="You become its owner; invite your team from the Team page."
      onSubmit={() => {
        setTouched(true);
        if (name.trim() !== '') create.mutate();
      }}
    >
      <TextField label="Organisation name" value={name} onChange={setName} maxLength={100} required error={nameError} data-autofocus />
      <TextField
        label="External id (optional)"
        value={externalId}
        onChange={setExternalId}
        maxLength={255}
        hint={fe.externalId ? undefined : 'Your platform’s own id of this team, if its backends charge it through the service API.'}
        error={fe.externalId}
      />
      <ErrorMessage error={create.error} inline={['name', 'externalId']} />
      <DialogActions onCancel={onClose} submit={create.isPending ? 'Creating…' : 'Create organisation'} busy={create.isPending} />
    </DialogForm>
  );
}
