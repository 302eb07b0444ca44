/**
 * A form's mutation that sends one request per submit: a second `mutate` while one is on its
 * way is ignored. A double click on a submit button otherwise sends two requests (the button is
 * disabled only once React re-renders with `isPending`, which TanStack Query reports a task
 * later, after the second click has already arrived): two reset mails, two invitations, two
 * adjustments, each with its own Idempotency-Key. Separate intents (submit, answer, submit
 * again) each send theirs.
 */
import { type DefaultError, type UseMutationOptions, type UseMutationResult, useMutation } from '@tanstack/react-query';
import { useRef } from 'react';

export function useSubmitMutation<TData = unknown, TError = DefaultError, TVariables = void, TOnMutateResult = unknown>(
  options: UseMutationOptions<TData, TError, TVariables, TOnMutateResult>,
): UseMutationResult<TData, TError, TVariables, TOnMutateResult> {
  const busy = useRef(false);
  const mutation = useMutation({
    ...options,
    // Cleared when the request ends, in the request itself: mutate's own callbacks are dropped
    // when the component resets the mutation while a request is on its way.
    mutationFn: async (v: TVariables, context) => {
      try {
        if (!options.mutationFn) throw new Error('useSubmitMutation needs a mutationFn');
        return await options.mutationFn(v, context);
      } finally {
        busy.current = false;
      }
    },
    onSettled: (...args) => {
      // Also when the request never ran (onMutate failed).
      busy.current = false;
      return options.onSettled?.(...args);
    },
  });
  const mutate: typeof mutation.mutate = (...args) => {
    if (busy.current) return;
    busy.current = true;
    mutation.mutate(...args);
  };
  return { ...mutation, mutate };
}
