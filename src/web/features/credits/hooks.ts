/** The credits feature's reads: balance (kept live by the stream), settings and packages. */
import { type QueryClient, type QueryKey, useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useState, useSyncExternalStore } from 'react';
import type { Shape } from '../../../contracts/types';
import { api, getToken, openEventStream } from '../../api/client';
import { BALANCE_FOLLOWERS, keys } from '../../lib/query-keys';

/**
 * The header's reads (balance, and settings for the low-balance colour) run only with a token:
 * signing out clears the cache while the header may still be mounted for a render (the
 * navigation to /signin is a transition), and it would ask again without a token, a 401 in the
 * console (seen once in a browser test, 6 December).
 */
const signedIn = () => getToken() !== null;

export function useBalance() {
  return useQuery({
    queryKey: keys.balance,
    queryFn: ({ signal }) => api('GET /api/credits/balance', { signal }),
    staleTime: Number.POSITIVE_INFINITY,
    enabled: signedIn,
  });
}

export function useSettings() {
  return useQuery({
    queryKey: keys.settings,
    queryFn: ({ signal }) => api('GET /api/credits/settings', { signal }),
    staleTime: 60_000,
    enabled: signedIn,
  });
}

export function usePackages() {
  return useQuery({
    queryKey: keys.packages,
    queryFn: ({ signal }) => api('GET /api/credits/packages', { signal }),
    staleTime: 5 * 60_000,
    select: (d) => d.items,
  });
}

/** Whether the balance is below the user's low-balance threshold (never for unlimited credits). */
export function useLowBalance(b: Shape<'Balance'> | undefined): { low: boolean; fresh: boolean; threshold: number } {
  const settings = useSettings();
  const threshold = settings.data?.lowBalanceThreshold ?? 0;
  // A new account (nothing bought or granted, nothing used) is greeted, not warned: the
  // low-balance warning is for a balance that has run down, not for one that never started.
  const fresh = !!b && !b.unlimited && b.lifetimePurchased === 0 && b.lifetimeUsed === 0 && b.balance === 0;
  return { low: b ? !b.unlimited && !fresh && b.available < threshold : false, fresh, threshold };
}

/** Whether the balance stream is connected (provided by the signed-in shell, which runs the stream). */
export const BalanceLive = createContext(false);

/** How long the stream may be down before the figures say they are not live (a reconnect usually takes less). */
const NOT_LIVE_AFTER_MS = 4000;

const onlineEvents = (changed: () => void) => {
  window.addEventListener('online', changed);
  window.addEventListener('offline', changed);
  return () => {
    window.removeEventListener('online', changed);
    window.removeEventListener('offline', changed);
  };
};

/** Whether the browser says it is online (it knows for sure only when it is not). */
export function useOnline(): boolean {
  return useSyncExternalStore(
    onlineEvents,
    () => navigator.onLine,
    () => true,
  );
}

/**
 * Whether the balance on screen may be out of date, and why: the device is offline, the
 * last refresh failed (after a failed purchase the balance is asked again), or the live
 * stream has been down for a few seconds. `updatedAt` is when the figures were last received.
 */
export function useBalanceFreshness(): {
  stale: boolean;
  why: 'offline' | 'failed' | 'stream';
  updatedAt: number;
  retry(): void;
} {
  const live = useContext(BalanceLive);
  const online = useOnline();
  const balance = useBalance();
  const [down, setDown] = useState(false);
  useEffect(() => {
    if (live) {
      setDown(false);
      return;
    }
    const t = setTimeout(() => setDown(true), NOT_LIVE_AFTER_MS);
    return () => clearTimeout(t);
  }, [live]);
  const failed = balance.isError && balance.data !== undefined;
  return {
    stale: balance.data !== undefined && (failed || down || !online),
    why: !online ? 'offline' : failed ? 'failed' : 'stream',
    updatedAt: balance.dataUpdatedAt,
    retry: () => void balance.refetch(),
  };
}

/**
 * Fetches a query again because what it shows changed. A refetch of a query that has data
 * cancels the fetch in flight, but one still loading its first answer (a section that
 * appeared with this very change) would only be joined, and that answer may predate the
 * change: such a fetch is cancelled first, so the refetch reads after the change.
 */
async function refresh(queryClient: QueryClient, queryKey: QueryKey): Promise<void> {
  await queryClient.cancelQueries({ queryKey, predicate: (q) => q.state.data === undefined && q.state.fetchStatus === 'fetching' });
  await queryClient.invalidateQueries({ queryKey });
}

/**
 * Keeps the cached balance live from GET /api/credits/stream (mount once, in the
 * signed-in shell), of the chosen account: a new choice opens a new stream (the client sends
 * it as `X-Account`). Returns whether the stream is connected.
 */
export function useBalanceStream(token: string | null, account: string | null): boolean {
  const queryClient = useQueryClient();
  const [connected, setConnected] = useState(false);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the client sends the chosen `account` when the stream connects, so a new choice must reconnect.
  useEffect(() => {
    if (!token) return;
    const stop = openEventStream(
      'GET /api/credits/stream',
      'balance',
      (next) => {
        const prev = queryClient.getQueryData<Shape<'Balance'>>(keys.balance);
        queryClient.setQueryData(keys.balance, next);
        const changed =
          !prev || prev.balance !== next.balance || prev.reserved !== next.reserved || prev.lifetimePurchased !== next.lifetimePurchased;
        if (changed) for (const key of BALANCE_FOLLOWERS) void refresh(queryClient, key);
      },
      setConnected,
    );
    return () => {
      stop();
      setConnected(false);
    };
  }, [token, account, queryClient]);
  return connected;
}
