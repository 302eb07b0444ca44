import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { get, openEventStream } from './api/client';
import type { Balance, Settings } from './api/types';

export const balanceKey = ['balance'] as const;

/** Queries whose data follows the balance: refreshed whenever it changes. */
const FOLLOWERS = [['transactions'], ['usage'], ['alerts'], ['estimate'], ['payments']] as const;

export function useBalance() {
  return useQuery({
    queryKey: balanceKey,
    queryFn: ({ signal }) => get<Balance>('/api/credits/balance', signal),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useSettings() {
  return useQuery({
    queryKey: ['settings'],
    queryFn: ({ signal }) => get<Settings>('/api/credits/settings', signal),
    staleTime: 60_000,
  });
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
      '/api/credits/stream',
      (e) => {
        if (e.event !== 'balance') return;
        let next: Balance;
        try {
          next = JSON.parse(e.data) as Balance;
        } catch {
          return;
        }
        const prev = queryClient.getQueryData<Balance>(balanceKey);
        queryClient.setQueryData(balanceKey, next);
        const changed =
          !prev || prev.balance !== next.balance || prev.reserved !== next.reserved || prev.lifetimePurchased !== next.lifetimePurchased;
        if (changed) for (const key of FOLLOWERS) void queryClient.invalidateQueries({ queryKey: key });
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
