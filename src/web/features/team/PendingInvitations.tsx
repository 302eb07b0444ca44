import { useQueryClient } from '@tanstack/react-query';
import { useSubmitMutation } from '../../lib/submit-once';
import { useState } from 'react';
import type { ResponseOf } from '../../../contracts/endpoints';
import { api } from '../../api/client';
import { DialogActions, SmallButton } from '../../components/Actions';
import { Card } from '../../components/Card';
import { DataTable } from '../../components/DataTable';
import { DialogForm } from '../../components/Dialog';
import { QueryStatus } from '../../components/QueryStatus';
import { Badge, ErrorMessage } from '../../components/ui';
import type { Account } from '../../lib/account';
import { formatDate, humanize } from '../../lib/format';
import { useList } from '../../lib/paged';
import { keys } from '../../lib/query-keys';

type Pending = ResponseOf<'GET /api/orgs/:id/invitations'>['items'][number];

/**
 * "Pending invitations" of the chosen organisation (owners and admins): each with its email,
 * role, when it was made and when it expires, and "Revoke" (the link then no longer works).
 * A token is never shown again here: only its hash is kept.
 */
export function PendingInvitations({ org }: { org: Account }) {
  const [revoking, setRevoking] = useState<Pending | null>(null);
  const { list: pending, items } = useList('GET /api/orgs/:id/invitations', keys.invitations(org.id), { id: org.id });
  return (
    <Card title="Pending invitations">
      <p className="muted">Invitations not yet accepted. Revoke one sent to the wrong address: its link then stops working.</p>
      <QueryStatus query={pending} count={items.length} loading="Loading invitations…" empty="No pending invitations." />
      <DataTable
        stack
        caption={`Pending invitations to ${org.name}`}
        rows={items}
        columns={[
          { header: 'Email', cellClassName: 'break stack-title', cell: (i) => i.email },
          { header: 'Role', cell: (i) => <Badge tone={i.role === 'member' ? 'neutral' : 'accent'}>{humanize(i.role)}</Badge> },
          { header: 'Invited', cell: (i) => formatDate(i.createdAt) },
          { header: 'Expires', cell: (i) => formatDate(i.expiresAt) },
        ]}
        actions={(i) => (
          <SmallButton tone="danger" onClick={() => setRevoking(i)} label={`Revoke the invitation to ${i.email}`}>
            Revoke
          </SmallButton>
        )}
        actionsClassName="right stack-actions nowrap"
      />
      {revoking ? <RevokeDialog org={org} invitation={revoking} onClose={() => setRevoking(null)} /> : null}
    </Card>
  );
}

function RevokeDialog({ org, invitation, onClose }: { org: Account; invitation: Pending; onClose(): void }) {
  const queryClient = useQueryClient();
  const revoke = useSubmitMutation({
    mutationFn: () => api('DELETE /api/orgs/:id/invitations/:invitationId', { params: { id: org.id, invitationId: invitation.id } }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: keys.invitations(org.id) });
      onClose();
    },
  });
  return (
    <DialogForm title="Revoke invitation?" onClose={onClose} onSubmit={() => revoke.mutate()}>
      <p>
        The invitation of <strong>{invitation.email}</strong> to {org.name} stops working: its link no longer lets them join. You can invite
        them again later.
      </p>
      <ErrorMessage error={revoke.error} />
      <DialogActions onCancel={onClose} submit={revoke.isPending ? 'Revoking…' : 'Revoke invitation'} busy={revoke.isPending} danger />
    </DialogForm>
  );
}
