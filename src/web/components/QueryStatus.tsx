import type { ReactNode } from 'react';
import { Empty, ErrorMessage, Loading } from './ui';

/** What a failed read needs to offer a retry: its error, and a way to run it again. */
export interface Retriable {
  error: unknown;
  isFetching?: boolean;
  refetch(): unknown;
}

/**
 * A section that failed to load: the error in a sentence and a "Retry" button that asks
 * again (it says "Retrying…" meanwhile). Shown for every read of the dashboard that fails.
 */
export function LoadError({ query }: { query: Retriable }) {
  if (!query.error) return null;
  return (
    <div className="load-error">
      <ErrorMessage error={query.error} />
      <button type="button" className="button button-small" onClick={() => void query.refetch()} disabled={query.isFetching}>
        {query.isFetching ? 'Retrying…' : 'Retry'}
      </button>
    </div>
  );
}

/** What a list says while it loads, when it failed (with "Retry"), and when it came back empty. */
export function QueryStatus({
  query,
  count,
  loading,
  empty,
}: {
  query: Retriable & { isPending: boolean; isSuccess: boolean };
  count: number;
  loading?: string;
  empty: ReactNode;
}) {
  return (
    <>
      <LoadError query={query} />
      {query.isPending && !query.error ? <Loading {...(loading ? { label: loading } : {})} /> : null}
      {query.isSuccess && count === 0 ? <Empty>{empty}</Empty> : null}
    </>
  );
}
