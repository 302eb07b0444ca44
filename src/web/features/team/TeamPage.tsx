import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { Card } from '../../components/Card';
import { DataTable } from '../../components/DataTable';
import { QueryStatus } from '../../components/QueryStatus';
import { Badge } from '../../components/ui';
import { type Account, useChosenAccount } from '../../lib/account';
import { creditsText, formatCredits, humanize } from '../../lib/format';
import { keys } from '../../lib/query-keys';
import { useSession } from '../../lib/session';
import { CreateOrgDialog } from './CreateOrgDialog';
import { InviteDialog } from './InviteDialog';
import { type Member, MemberDialog, RemoveMemberDialog } from './MemberDialogs';
import './team.css';

/**
 * `/team`: the chosen organisation's members for its owners and admins (role, monthly limit,
 * used this month; change, remove, "Invite"), and "Create organisation" for everyone: a user
 * on their personal account comes here to start a team, so the action lives on this page.
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
        <Members org={org} />
      ) : (
        <section className="card" aria-label="Your membership">
          <p>
            You are a <strong>member</strong> of {org.name}: you spend from its balance. Only its owners and admins see and manage the team
            and buy credits for it.
          </p>
        </section>
      )}
      {creating ? <CreateOrgDialog onClose={() => setCreating(false)} /> : null}
    </div>
  );
}

function Members({ org }: { org: Account }) {
  const { user } = useSession();
  const [inviting, setInviting] = useState(false);
  const [editing, setEditing] = useState<Member | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const members = useQuery({
    queryKey: keys.members(org.id),
    queryFn: ({ signal }) => api('GET /api/orgs/:id/members', { params: { id: org.id }, signal }),
    select: (d) => d.items,
  });
  const items = members.data ?? [];
  return (
    <Card
      title={`Members of ${org.name}`}
      actions={
        <button type="button" className="button button-primary button-small" onClick={() => setInviting(true)}>
          Invite
        </button>
      }
    >
      <p className="muted">
        A monthly limit caps what a member may spend of the organisation’s credits in a calendar month (UTC); a charge past it is refused.
      </p>
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
          { header: 'Email', cellClassName: 'break stack-wide', cell: (m) => m.email },
          { header: 'Role', cell: (m) => <Badge tone={m.role === 'member' ? 'neutral' : 'accent'}>{humanize(m.role)}</Badge> },
          { header: 'Monthly limit', className: 'num', cell: (m) => (m.monthlyLimit === null ? 'No limit' : creditsText(m.monthlyLimit)) },
          {
            header: 'Used this month',
            className: 'num',
            cellClassName: (m) => (m.monthlyLimit !== null && m.usedThisMonth >= m.monthlyLimit ? 'neg' : ''),
            cell: (m) => formatCredits(m.usedThisMonth),
          },
          {
            header: 'Actions',
            hideHeader: true,
            cellClassName: 'right stack-actions nowrap',
            cell: (m) => (
              <>
                <button
                  type="button"
                  className="button button-small"
                  onClick={() => setEditing(m)}
                  aria-label={`Change ${m.name || m.email}`}
                >
                  Change
                </button>{' '}
                <button
                  type="button"
                  className="button button-small button-danger"
                  onClick={() => setRemoving(m)}
                  aria-label={`Remove ${m.name || m.email}`}
                >
                  Remove
                </button>
              </>
            ),
          },
        ]}
      />
      {inviting ? <InviteDialog org={org} onClose={() => setInviting(false)} /> : null}
      {editing ? <MemberDialog org={org} member={editing} onClose={() => setEditing(null)} /> : null}
      {removing ? <RemoveMemberDialog org={org} member={removing} onClose={() => setRemoving(null)} /> : null}
    </Card>
  );
}
