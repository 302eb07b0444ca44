import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import type { Shape } from '../../../contracts/types';
import { api } from '../../api/client';
import { SmallButton } from '../../components/Actions';
import { Card } from '../../components/Card';
import { LoadMore } from '../../components/LoadMore';
import { QueryStatus } from '../../components/QueryStatus';
import { Badge, ErrorMessage } from '../../components/ui';
import { formatDate, humanize } from '../../lib/format';
import { usePages } from '../../lib/paged';
import { keys } from '../../lib/query-keys';

function alertTone(type: Shape<'Alert'>['type']): 'warn' | 'ok' | 'danger' | 'neutral' {
  if (type === 'low_balance') return 'warn';
  if (type === 'depleted' || type.endsWith('failed') || type === 'refund') return 'danger';
  if (type.endsWith('succeeded')) return 'ok';
  return 'neutral';
}

/** The user's alerts, newest first, with the number unread and "Mark read" on each unread one. */
export function AlertsList() {
  const queryClient = useQueryClient();
  const { list: alerts, items } = usePages('GET /api/credits/alerts', keys.alerts, { limit: 10 });
  const listRef = useRef<HTMLUListElement>(null);
  /** The alert whose "Mark read" was pressed, until the list shows it read. */
  const refocus = useRef<string | null>(null);
  const markRead = useMutation({
    mutationFn: (id: string) => {
      refocus.current = id;
      return api('POST /api/credits/alerts/:id/read', { params: { id } });
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: keys.alerts }),
  });
  // The button pressed is gone once the list shows the alert read ("Read" in its place): the
  // focus goes on to the next "Mark read", or to the list, not back to the top of the page.
  useEffect(() => {
    const id = refocus.current;
    if (!id || !items.some((a) => a.id === id && a.read)) return;
    refocus.current = null;
    const list = listRef.current;
    (list?.querySelector<HTMLButtonElement>('li[data-unread] button') ?? list)?.focus();
  }, [items]);
  const unread = alerts.data?.pages[0]?.unread ?? items.filter((a) => !a.read).length;
  return (
    <Card title={<>Alerts {unread > 0 ? <Badge tone="accent">{unread} unread</Badge> : null}</>} actions={null} className="card-half">
      <QueryStatus
        query={alerts}
        count={items.length}
        loading="Loading alerts…"
        empty="No alerts. You will be told here when your balance runs low."
      />
      <ErrorMessage error={markRead.error} />
      <ul className="alerts" ref={listRef} tabIndex={-1} aria-label="Alerts">
        {items.map((a) => (
          <li key={a.id} className={a.read ? 'alert alert-read' : 'alert'} data-unread={a.read ? undefined : ''}>
            <div>
              <Badge tone={alertTone(a.type)}>{humanize(a.type)}</Badge>
              <p className="alert-message">{a.message}</p>
              <p className="muted small">{formatDate(a.createdAt)}</p>
            </div>
            {a.read ? (
              <span className="muted small">Read</span>
            ) : (
              <SmallButton onClick={() => markRead.mutate(a.id)} disabled={markRead.isPending && markRead.variables === a.id}>
                Mark read
              </SmallButton>
            )}
          </li>
        ))}
      </ul>
      <LoadMore list={alerts} small />
    </Card>
  );
}
