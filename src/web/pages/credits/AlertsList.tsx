import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { useId } from 'react';
import { get, post, qs } from '../../api/client';
import type { Alert, Page } from '../../api/types';
import { Badge, Empty, ErrorMessage, Loading } from '../../components/ui';
import { formatDate, humanize } from '../../lib/format';

function alertTone(type: string): 'warn' | 'ok' | 'danger' | 'neutral' {
  if (type === 'low_balance') return 'warn';
  if (type === 'depleted' || type.endsWith('failed') || type === 'refund') return 'danger';
  if (type.endsWith('succeeded')) return 'ok';
  return 'neutral';
}

export function AlertsList() {
  const h = useId();
  const queryClient = useQueryClient();
  const alerts = useInfiniteQuery({
    queryKey: ['alerts'],
    queryFn: ({ pageParam, signal }) => get<Page<Alert> & { unread?: number }>(`/api/credits/alerts${qs({ limit: 10, cursor: pageParam })}`, signal),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const markRead = useMutation({
    mutationFn: (id: string) => post(`/api/credits/alerts/${encodeURIComponent(id)}/read`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['alerts'] }),
  });
  const items = alerts.data?.pages.flatMap((p) => p.items) ?? [];
  const unread = alerts.data?.pages[0]?.unread ?? items.filter((a) => !a.read).length;
  return (
    <section className="card" aria-labelledby={h}>
      <div className="card-head">
        <h2 id={h}>
          Alerts{' '}
          {unread > 0 ? (
            <Badge tone="accent">
              {unread} unread
            </Badge>
          ) : null}
        </h2>
      </div>
      <ErrorMessage error={alerts.error} />
      <ErrorMessage error={markRead.error} />
      {alerts.isPending ? <Loading label="Loading alerts…" /> : null}
      {alerts.isSuccess && items.length === 0 ? <Empty>No alerts. You will be told here when your balance runs low.</Empty> : null}
      <ul className="alerts">
        {items.map((a) => (
          <li key={a.id} className={a.read ? 'alert alert-read' : 'alert'}>
            <div>
              <Badge tone={alertTone(a.type)}>{humanize(a.type)}</Badge>
              <p className="alert-message">{a.message}</p>
              <p className="muted small">{formatDate(a.createdAt)}</p>
            </div>
            {a.read ? (
              <span className="muted small">Read</span>
            ) : (
              <button type="button" className="button button-small" onClick={() => markRead.mutate(a.id)} disabled={markRead.isPending && markRead.variables === a.id}>
                Mark read
              </button>
            )}
          </li>
        ))}
      </ul>
      {alerts.hasNextPage ? (
        <div className="actions">
          <button type="button" className="button button-small" onClick={() => void alerts.fetchNextPage()} disabled={alerts.isFetchingNextPage}>
            Load more
          </button>
        </div>
      ) : null}
    </section>
  );
}
