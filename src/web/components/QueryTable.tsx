import type { ReactNode } from 'react';
import type { QueryOf } from '../../contracts/endpoints';
import { type ItemOf, type PagedKey, usePages } from '../lib/paged';
import { keys } from '../lib/query-keys';
import { Card } from './Card';
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
 * cursor), page after page with "Load more", cached under the key `keys.list` makes of the two
 * (the endpoint's family key, then the query).
 */
export function PagedTable<K extends PagedKey>({
  endpoint,
  query,
  ...table
}: Omit<Parameters<typeof QueryTable<ItemOf<K>>>[0], 'query' | 'rows'> & {
  endpoint: K;
  query: Omit<QueryOf<K>, 'cursor'>;
}) {
  const { list, items } = usePages(endpoint, keys.list(endpoint, query), query);
  return <QueryTable query={list} rows={items} {...table} />;
}

/** A card (`title`) that is one `PagedTable`; the table is named by the title unless `caption` says otherwise. */
export function PagedCard<K extends PagedKey>({
  title,
  caption = title,
  ...table
}: Parameters<typeof PagedTable<K>>[0] & { title: string }) {
  return (
    <Card title={title}>
      <PagedTable caption={caption} {...table} />
    </Card>
  );
}
