import { useId, useState } from 'react';
import { Link } from 'react-router';
import { QueryTable } from '../../components/QueryTable';
import { Badge } from '../../components/ui';
import { formatDate, humanize } from '../../lib/format';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';
import { useDebounced } from '../../lib/use-debounced';
import { balanceColumns } from './balance-columns';

/** `/admin/users`: users with their balances, searched by name or email; each links to its page. */
export function AdminUsersPage() {
  const ids = { h: useId(), s: useId() };
  const [search, setSearch] = useState('');
  const q = useDebounced(search.trim(), 250);
  const { list: users, items } = usePages(
    'GET /api/admin/users',
    keys.admin.users(q),
    { ...(q ? { search: q } : {}), limit: 25 },
    { keepPrevious: true },
  );
  return (
    <section className="card" aria-labelledby={ids.h}>
      <div className="card-head">
        <h2 id={ids.h}>Users</h2>
        <div className="field field-inline">
          <label htmlFor={ids.s}>Search</label>
          <input id={ids.s} type="search" placeholder="Name or email" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
      </div>
      <QueryTable
        query={users}
        loading="Loading users…"
        empty={`No users match “${q}”.`}
        caption="Users with their balances"
        rows={items}
        columns={[
          {
            header: 'Name',
            cellClassName: 'stack-title',
            cell: (u) => <Link to={`/admin/users/${encodeURIComponent(u.id)}`}>{u.name || u.email}</Link>,
          },
          { header: 'Email', cellClassName: 'break stack-wide', cell: (u) => u.email },
          { header: 'Role', cell: (u) => (u.role === 'user' ? 'User' : <Badge tone="accent">{humanize(u.role)}</Badge>) },
          ...balanceColumns({ purchased: true }),
          { header: 'Joined', cellClassName: 'nowrap', cell: (u) => formatDate(u.createdAt) },
        ]}
      />
    </section>
  );
}
