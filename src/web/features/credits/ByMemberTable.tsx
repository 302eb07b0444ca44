import type { ResponseOf } from '../../../contracts/endpoints';
import { DataTable } from '../../components/DataTable';
import { formatCredits } from '../../lib/format';

type MemberRow = NonNullable<ResponseOf<'GET /api/credits/usage'>['byMember']>[number];

/** An organisation's usage by the member who caused it (usage without a member: the service API's own charges). */
export function ByMemberTable({ rows }: { rows: readonly MemberRow[] }) {
  return (
    <>
      <h3 className="table-title">Usage by member</h3>
      <DataTable
        caption="Usage by member"
        rows={rows}
        rowKey={(m) => m.memberId ?? '(none)'}
        columns={[
          { header: 'Member', cellClassName: 'break', cell: (m) => m.name ?? (m.memberId ? m.memberId : 'No member (service API)') },
          { header: 'Count', className: 'num', cell: (m) => m.operations.toLocaleString() },
          { header: 'Credits', className: 'num', cell: (m) => formatCredits(m.credits) },
        ]}
      />
    </>
  );
}
