import { Link } from 'react-router';
import type { Shape } from '../../../contracts/types';
import { operationName } from '../../../contracts/units';
import { Card } from '../../components/Card';
import { QueryTable } from '../../components/QueryTable';
import { formatCredits, formatDate } from '../../lib/format';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';

type Held = Shape<'HeldCredits'>;

function what(h: Held): string {
  if (h.kind === 'call') return 'Call minutes, while the call lasts';
  if (h.kind === 'dispute') return 'A disputed payment’s credits';
  return `${operationName(h.operation ?? '')}, held by the platform`;
}

function action(h: Held) {
  if (h.kind === 'call') return <Link to="/platform#open-calls">End the call</Link>;
  if (h.kind === 'dispute') return 'Released or taken when the dispute is decided';
  return 'Charged for what is used, the rest released';
}

/**
 * The "Held credits" section of `/credits`: what the reserved credits are held for, one
 * hold each (a call's minutes, a hold the platform placed through the service API, a
 * disputed payment's credits), with what ends it. Shown while anything is held.
 */
export function HeldCredits() {
  const { list, items } = usePages('GET /api/credits/holds', keys.holds, { limit: 20 });
  return (
    <Card title="Held credits" id="held-credits" actions={null}>
      <p className="muted">
        Reserved credits are not spent yet: each hold below ends by a charge for what was used, the rest returning to your available
        credits, or by its release.
      </p>
      <QueryTable
        query={list}
        loading="Loading holds…"
        empty="Nothing is held."
        caption="Credits held"
        rows={items}
        columns={[
          { header: 'Held for', cell: what },
          { header: 'Credits', className: 'num', cell: (x) => formatCredits(x.credits) },
          { header: 'Since', cellClassName: 'nowrap', cell: (x) => formatDate(x.createdAt) },
          {
            header: 'Released by',
            cellClassName: 'nowrap',
            cell: (x) => (x.expiresAt ? formatDate(x.expiresAt) : 'the dispute’s outcome'),
          },
          { header: 'Ends', cell: action },
        ]}
      />
    </Card>
  );
}
