/** "Load more" under a paginated list while it has another page. */
export function LoadMore({
  list,
  small,
}: {
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage(): unknown };
  small?: boolean;
}) {
  if (!list.hasNextPage) return null;
  return (
    <div className="actions">
      <button
        type="button"
        className={small ? 'button button-small' : 'button'}
        onClick={() => void list.fetchNextPage()}
        disabled={list.isFetchingNextPage}
      >
        {list.isFetchingNextPage ? 'Loading…' : 'Load more'}
      </button>
    </div>
  );
}
