import { keepPreviousData, type QueryKey, useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { EndpointKey, ParamsOf, QueryOf, RequestOf, ResponseOf } from '../../contracts/endpoints';
import type { Page } from '../../contracts/types';
import { api } from '../api/client';

/** The endpoints that answer a page of items and take a `cursor` for the next. */
export type PagedKey = {
  [K in EndpointKey]: ResponseOf<K> extends Page<unknown> ? (QueryOf<K> extends { cursor?: string } ? K : never) : never;
}[EndpointKey];

type Call = (key: EndpointKey, request: { params?: unknown; query?: Record<string, unknown>; signal: AbortSignal }) => Promise<unknown>;
const call = api as unknown as Call;

/** The items of a paged endpoint's pages. */
export type ItemOf<K extends PagedKey> = ResponseOf<K> extends Page<infer T> ? T : never;

/**
 * A paginated list of the API, page after page (`fetchNextPage` with the last `nextCursor`),
 * and its items so far. `keepPrevious` shows the last answer while a new filter loads; `params`
 * fills in the path's parameters (an endpoint's deliveries).
 */
export function usePages<K extends PagedKey>(
  key: K,
  queryKey: QueryKey,
  query: Omit<QueryOf<K>, 'cursor'>,
  {
    keepPrevious,
    params,
    enabled = true,
    refetchInterval,
  }: { keepPrevious?: boolean; params?: ParamsOf<K>; enabled?: boolean; refetchInterval?: (items: ItemOf<K>[]) => number | false } = {},
) {
  const list = useInfiniteQuery({
    queryKey,
    queryFn: ({ pageParam, signal }) =>
      call(key, { params, query: { ...query, cursor: pageParam }, signal }) as Promise<ResponseOf<K> & Page<ItemOf<K>>>,
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    placeholderData: keepPrevious ? keepPreviousData : undefined,
    enabled,
    refetchInterval: refetchInterval ? (q) => refetchInterval(q.state.data?.pages.flatMap((p) => p.items) ?? []) : undefined,
  });
  const items: ItemOf<K>[] = list.data?.pages.flatMap((p) => p.items) ?? [];
  return { list, items };
}

/** The endpoints read with GET that answer a whole list, `{ items }`. */
export type ListKey = {
  [K in EndpointKey]: K extends `GET ${string}` ? (ResponseOf<K> extends { items: readonly unknown[] } ? K : never) : never;
}[EndpointKey];

type ListItemOf<K extends ListKey> = ResponseOf<K> extends { items: readonly (infer T)[] } ? T : never;

/**
 * A whole list of the API (not paged): the query, and its items once loaded (none before);
 * `params` fills in the path's parameters (an organisation's members).
 */
export function useList<K extends ListKey>(
  key: K,
  queryKey: QueryKey,
  ...[params]: RequestOf<K> extends { params: ParamsOf<K> } ? [params: ParamsOf<K>] : []
) {
  const list = useQuery({
    queryKey,
    queryFn: ({ signal }) => call(key, { params, signal }) as Promise<ResponseOf<K> & { items: ListItemOf<K>[] }>,
  });
  const items: ListItemOf<K>[] = list.data?.items ?? [];
  return { list, items };
}
