import { useQuery } from '@tanstack/react-query';
import { get } from './api/client';
import type { AppConfig, CreditPackage, PricingRule } from './api/types';

export function useConfig() {
  return useQuery({
    queryKey: ['config'],
    queryFn: ({ signal }) => get<AppConfig>('/api/config', signal),
    staleTime: 10 * 60_000,
  });
}

export function usePackages() {
  return useQuery({
    queryKey: ['packages'],
    queryFn: ({ signal }) => get<{ items: CreditPackage[] }>('/api/credits/packages', signal),
    staleTime: 5 * 60_000,
    select: (d) => d.items,
  });
}

export function usePricing() {
  return useQuery({
    queryKey: ['pricing'],
    queryFn: ({ signal }) => get<{ items: PricingRule[] }>('/api/credits/pricing', signal),
    staleTime: 5 * 60_000,
    select: (d) => d.items,
  });
}
