import { useId, useState } from 'react';
import type { ResponseOf } from '../../../contracts/endpoints';
import { Card } from '../../components/Card';
import { SmallButton } from '../../components/Actions';
import { QueryTable } from '../../components/QueryTable';
import { formatCredits, formatDate, humanize } from '../../lib/format';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';
import { useDebounced } from '../../lib/use-debounced';
import { AdjustCreditsDialog } from './AdjustCreditsDialog';
import { balanceColumns } from './balance-columns';

type Organization = ResponseOf<'GET /api/admin/organizations'>['items'][number];

/**
 * `/admin/organizations`: organisations with their balances and members (role, monthly limit),
 * searched by name, external id or a member's email; "Adjust credits" on an organisation's account.
 */
export function AdminOrganizationsPage() {
  const searchId = useId();
  const [search, setSearch] = useState('');
  const [adjusting, setAdjusting] = useState<Organization | null>(null);
  const q = useDebounced(search.trim(), 250);
  const { list, items } = usePages(
    'GET /api/admin/organizations',
    keys.admin.organizations(q),
    { ...(q ? { search: q } : {}), limit: 25 },
    { keepPrevious: true },
  );
  return (
    <Card
      title="Organisations"
      actions={
        <div className="field field-inline">
          <label htmlFor={searchId}>Search</label>
          <input
            id={searchId}
            type="search"
            placeholder="Name, id or member email"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
      }
    >
      <QueryTable
        query={list}
        loading="Loading organisations…"
        empty={q ? `No organisations match “${q}”.` : 'No organisations yet.'}
        caption="Organisations with their balances and members"
        rows={items}
        columns={[
          {
            header: 'Organisation',
            cellClassName: 'break stack-title',
            cell: (o) => (
              <>
                {o.name}
                {o.externalId ? <span className="muted small"> ({o.externalId})</span> : null}
              </>
            ),
          },
          {
            header: 'Members',
            cellClassName: 'break stack-wide',
            cell: (o) => (
              <ul className="plain-list">
                {o.members.map((m) => (
                  <li key={m.userId}>
                    {m.name || m.email} <span className="muted small">{m.email}</span> · {humanize(m.role)}
                    {m.monthlyLimit !== null ? ` · limit ${formatCredits(m.monthlyLimit)} a month` : ''}
                  </li>
                ))}
              </ul>
            ),
          },
          ...balanceColumns({ purchased: false }),
          { header: 'Created', cellClassName: 'nowrap', cell: (o) => formatDate(o.createdAt) },
        ]}
        actions={(o) => (
          <SmallButton onClick={() => setAdjusting(o)} label={`Adjust credits of ${o.name}`}>
            Adjust credits
          </SmallButton>
        )}
      />
      {adjusting ? <AdjustCreditsDialog target={{ kind: 'organization', org: adjusting }} onClose={() => setAdjusting(null)} /> : null}
    </Card>
  );
}
