import { useState } from 'react';
import { SmallButton } from '../../components/Actions';
import { Card } from '../../components/Card';
import { DataTable } from '../../components/DataTable';
import { QueryStatus } from '../../components/QueryStatus';
import { Badge } from '../../components/ui';
import { type Account, useChosenAccount } from '../../lib/account';
import { creditsText, formatCredits, humanize } from '../../lib/format';
import { useList } from '../../lib/paged';
import { keys } from '../../lib/query-keys';
import { useSession } from '../../lib/session';
import { CreateOrgDialog } from './CreateOrgDialog';
import { InviteDialog } from './InviteDialog';
import { type Member, MemberDialog, RemoveMemberDialog } from './MemberDialogs';
import { PendingInvitations } from './PendingInvitations';
import './team.css';

/**
 * `/team`: the chosen organisation's members. Its owners and admins see each member's role,
 * monthly limit and use this month, with "Change", "Remove", "Invite" and the "Pending
 * invitations" (each with "Revoke"); a plain member sees the same list read-only, with their
 * own limit and use this month. "Create organisation" is for everyone: a user on their
 * personal account comes here to start a team, so the action lives on this page.
 */
export function TeamPage() {
  const chosen = useChosenAccount();
  const [creating, setCreating] = useState(false);
  const org = chosen.isOrg ? chosen.account : undefined;
  return (
    <div className="page">
      <div className="page-head page-head-row">
        <div>
          <h1>Team</h1>
          <p className="muted">
            {org
              ? `The members of ${org.name}, who spend from its shared balance.`
              : 'Share one balance with your team in an organisation.'}
          </p>
        </div>
        <button type="button" className="button" onClick={() => setCreating(true)}>
          Create organisation
        </button>
      </div>
      {!chosen.isOrg ? (
        <section className="card" aria-label="Personal account">
          <p>
            You are using your <strong>personal account</strong>.{' '}
            {chosen.accounts.some((a) => a.kind === 'organization')
              ? 'Choose an organisation in the “Account” menu at the top to see its team.'
              : 'Create an organisation to buy credits once and let your team spend them, each member with an optional monthly limit.'}
          </p>
        </section>
      ) : !org ? null : chosen.canManage ? (
        <>
          <Members org={org} manage />
          <PendingInvitations org={org} />
        </>
      ) : (
        <Members org={org} manage={false} />
      )}
      {creating ? <CreateOrgDialog onClose={() => setCreating(false)} /> : null}
    </div>
  );
}

function Members({ org, manage }: { org: Account; manage: boolean }) {
  const { user } = useSession();
  const [inviting, setInviting] = useState(false);
  const [editing, setEditing] = useState<Member | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const { list: members, items } = useList('GET /api/orgs/:id/members', keys.members(org.id), { id: org.id });
  const me = items.find((m) => m.userId === user?.id);
  const mine = (m: Member) => manage || m.userId === user?.id;
  return (
    <Card
      title={`Members of ${org.name}`}
      actions={
        manage ? (
          <SmallButton tone="primary" onClick={() => setInviting(true)}>
            Invite
          </SmallButton>
        ) : undefined
      }
    >
      {manage ? (
        <p className="muted">
          A monthly limit caps what a member may spend of the organisation’s credits in a calendar month (UTC); a charge past it is refused.
        </p>
      ) : (
        <p data-testid="your-membership">
          You are a <strong>{me ? humanize(me.role).toLowerCase() : 'member'}</strong> of {org.name}: you spend from its balance.{' '}
          {me ? (
            <>
              Your monthly limit: <strong>{me.monthlyLimit === null ? 'no limit' : creditsText(me.monthlyLimit)}</strong>; used this month:{' '}
              <strong>{formatCredits(me.usedThisMonth)}</strong>.{' '}
            </>
          ) : null}
          Only its owners and admins change the team and buy credits for it.
        </p>
      )}
      <QueryStatus query={members} count={items.length} loading="Loading members…" empty="No members." />
      <DataTable
        stack
        caption={`Members of ${org.name}`}
        rows={items}
        rowKey={(m) => m.userId}
        columns={[
          {
            header: 'Name',
            cellClassName: 'break stack-title',
            cell: (m) => (
              <>
                {m.name || m.email}
                {m.userId === user?.id ? <span className="muted"> (you)</span> : null}
              </>
            ),
          },
          ...(manage ? [{ header: 'Email', cellClassName: 'break stack-wide', cell: (m: Member) => m.email }] : []),
          { header: 'Role', cell: (m) => <Badge tone={m.role === 'member' ? 'neutral' : 'accent'}>{humanize(m.role)}</Badge> },
          // A plain member sees their own limit and use; the others' are the managers' business.
          {
            header: 'Monthly limit',
            className: 'num',
            cell: (m) => (!mine(m) ? '—' : m.monthlyLimit === null ? 'No limit' : creditsText(m.monthlyLimit)),
          },
          {
            header: 'Used this month',
            className: 'num',
            cellClassName: (m) => (mine(m) && m.monthlyLimit !== null && m.usedThisMonth >= m.monthlyLimit ? 'neg' : ''),
            cell: (m) => (mine(m) ? formatCredits(m.usedThisMonth) : '—'),
          },
        ]}
        actions={
          manage
            ? (m) =>
                // An owner's row is the owners' to change (an admin's change is 403): no buttons on it for an admin.
                m.role === 'owner' && me?.role !== 'owner' ? null : (
                  <>
                    <SmallButton onClick={() => setEditing(m)} label={`Change ${m.name || m.email}`}>
                      Change
                    </SmallButton>{' '}
                    <SmallButton tone="danger" onClick={() => setRemoving(m)} label={`Remove ${m.name || m.email}`}>
                      Remove
                    </SmallButton>
                  </>
                )
            : undefined
        }
        actionsClassName="right stack-actions nowrap"
      />
      {inviting ? <InviteDialog org={org} onClose={() => setInviting(false)} /> : null}
      {editing ? <MemberDialog org={org} member={editing} onClose={() => setEditing(null)} /> : null}
      {removing ? <RemoveMemberDialog org={org} member={removing} onClose={() => setRemoving(null)} /> : null}
    </Card>
  );
}
