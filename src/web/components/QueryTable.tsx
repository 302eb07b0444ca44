import type { QueryKey } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import type { QueryOf } from '../../contracts/endpoints';
import { type ItemOf, type PagedKey, usePages } from '../lib/paged';
import { DataTable, type DataTableProps } from './DataTable';
import { LoadMore } from './LoadMore';
import { QueryStatus } from './QueryStatus';

type ListQuery = Parameters<typeof QueryStatus>[0]['query'];
type PagedQuery = Parameters<typeof LoadMore>[0]['list'];

/**
 * A list read from the API as a table that stacks on phones: what the read says while it
 * loads, when it failed (with "Retry") and when it came back empty; then `children` (a failed
 * action's error), the table of `rows`, and "Load more" when the query is paged and has
 * another page.
 */
export function QueryTable<T>({
  query,
  loading,
  empty,
  children,
  ...table
}: Omit<DataTableProps<T>, 'stack' | 'empty'> & {
  query: ListQuery | (ListQuery & PagedQuery);
  /** Said while the list loads ("Loading users…"); "Loading…" by default. */
  loading?: string;
  /** Said when the list is empty. */
  empty: ReactNode;
  children?: ReactNode;
}) {
  return (
    <>
      <QueryStatus query={query} count={table.rows.length} loading={loading} empty={empty} />
      {children}
      <DataTable stack {...table} />
      {'fetchNextPage' in query ? <LoadMore list={query} /> : null}
    </>
  );
}

/**
 * A paginated list of the API as a `QueryTable`: the pages of `endpoint` (`query` without its
 * cursor), cached under `queryKey`, page after page with "Load more".
 */
export function PagedTable<K extends PagedKey>({
  endpoint,
  queryKey,
  query,
  ...table
}: Omit<Parameters<typeof QueryTable<ItemOf<K>>>[0], 'query' | 'rows'> & {
  endpoint: K;
  queryKey: QueryKey;
  query: Omit<QueryOf<K>, 'cursor'>;
}) {
  const { list, items } = usePages(endpoint, queryKey, query);
  return <QueryTable query={list} rows={items} {...table} />;
}
