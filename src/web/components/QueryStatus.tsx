import type { ReactNode } from 'react';
import { Empty, ErrorMessage, Loading } from './ui';

/** What a list says while it loads, when it failed, and when it came back empty. */
export function QueryStatus({
  query,
  count,
  loading,
  empty,
}: {
  query: { error: unknown; isPending: boolean; isSuccess: boolean };
  count: number;
  loading?: string;
  empty: ReactNode;
}) {
  return (
    <>
      <ErrorMessage error={query.error} />
      {query.isPending ? <Loading {...(loading ? { label: loading } : {})} /> : null}
      {query.isSuccess && count === 0 ? <Empty>{empty}</Empty> : null}
    </>
  );
}
