/** The credits feature's reads: balance (kept live by the stream), settings and packages. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { Shape } from '../../../contracts/types';
import { api, openEventStream } from '../../api/client';
import { BALANCE_FOLLOWERS, keys } from '../../lib/query-keys';

export function useBalance() {
  return useQuery({
    queryKey: keys.balance,
    queryFn: ({ signal }) => api('GET /api/credits/balance', { signal }),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useSettings() {
  return useQuery({
    queryKey: keys.settings,
    queryFn: ({ signal }) => api('GET /api/credits/settings', { signal }),
    staleTime: 60_000,
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

/**
 * Keeps the cached balance live from GET /api/credits/stream (mount once, in the
 * signed-in shell). Returns whether the stream is connected.
 */
export function useBalanceStream(token: string | null): boolean {
  const queryClient = useQueryClient();
  const [connected, setConnected] = useState(false);
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
        if (changed) for (const key of BALANCE_FOLLOWERS) void queryClient.invalidateQueries({ queryKey: key });
      },
      setConnected,
    );
    return () => {
      stop();
      setConnected(false);
    };
  }, [token, queryClient]);
  return connected;
}
