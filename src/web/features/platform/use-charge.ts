/**
 * A metered operation of the platform page, sent at most once per intent:
 *
 * - a second submit while one is on its way is ignored (`useSubmitMutation`: a double click
 *   would otherwise send two requests, each with its own Idempotency-Key, and be charged twice);
 * - when the answer was lost (the connection failed, or the server or a proxy failed mid-way),
 *   the charge may have been made: the error says so, and sending the same thing again reuses
 *   the same Idempotency-Key, so the server replays the first answer instead of charging again.
 *   So does a 409 `idempotency_conflict` (the first request with that key is still running): a
 *   new key would start a second one.
 *
 * After each attempt the balance and the prices are read again.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useRef } from 'react';
import type { Shape } from '../../../contracts/types';
import { ApiError, idempotencyKey } from '../../api/client';
import { keys } from '../../lib/query-keys';
import { useSubmitMutation } from '../../lib/submit-once';
import { keepsKey, outcomeUnknown } from './charge-outcome';

const UNKNOWN =
  'We cannot tell whether this went through: the answer did not arrive. Check your balance before sending it again; sending the same again will not charge twice.';

interface Attempt<TVars> {
  vars: TVars;
  key: string;
}

export function useCharge<TVars, TAnswer extends { credits: Shape<'Charge'> }>(
  fn: (v: TVars, idempotencyKey: string) => Promise<TAnswer>,
  same: (a: TVars, b: TVars) => boolean = (a, b) => JSON.stringify(a) === JSON.stringify(b),
) {
  const queryClient = useQueryClient();
  const uncertain = useRef<Attempt<TVars> | null>(null);
  // The bookkeeping lives in the request itself, not in mutate's callbacks: those are dropped
  // when the card resets the mutation (a new file chosen) while a request is on its way.
  const mutation = useSubmitMutation({
    mutationFn: async (attempt: Attempt<TVars>) => {
      try {
        const answer = await fn(attempt.vars, attempt.key);
        uncertain.current = null;
        return answer;
      } catch (e) {
        uncertain.current = keepsKey(e) ? attempt : null;
        if (outcomeUnknown(e) && e instanceof ApiError) throw new ApiError(e.status, e.code, UNKNOWN, e.details);
        throw e;
      }
    },
    onSettled: () => {
      void queryClient.invalidateQueries({ queryKey: keys.balance });
      void queryClient.invalidateQueries({ queryKey: keys.estimate.all });
    },
  });
  const mutate = (vars: TVars, opts?: { onSettled?: () => void }) => {
    const last = uncertain.current;
    mutation.mutate({ vars, key: last && same(last.vars, vars) ? last.key : idempotencyKey() }, opts);
  };
  return { ...mutation, mutate };
}
