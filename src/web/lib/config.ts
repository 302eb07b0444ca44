import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { keys } from './query-keys';

/** What the server says about itself (GET /api/config): payment provider, simulated calls, mail. */
export function useConfig() {
  return useQuery({
    queryKey: keys.config,
    queryFn: ({ signal }) => api('GET /api/config', { signal }),
    staleTime: 10 * 60_000,
  });
}
