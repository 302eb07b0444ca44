import { type FormEvent, useReducer } from 'react';

/** A form's submit handler: the page stays, `run` does the work. */
export function onSubmit(run: () => void) {
  return (e: FormEvent) => {
    e.preventDefault();
    run();
  };
}

/**
 * A field's onChange that also drops the mutation's error: the server's word on the value it
 * was sent no longer applies to the one being typed.
 */
export function changeClearing<T>(set: (v: T) => void, mutation: { isError: boolean; reset(): void }) {
  return (v: T) => {
    set(v);
    if (mutation.isError) mutation.reset();
  };
}

/**
 * `run` (which starts a mutation) for a form's submit, re-rendering the calling component, the
 * mutation's owner, at once: React Query marks the mutation pending at once but tells the
 * component only on its next tick, so without this render the submit button (`busy={isPending}`)
 * stays enabled meanwhile and the second click of a double-click sent the form again (two API
 * keys, two webhook endpoints, one of each never shown).
 */
export function useSubmitOnce(run: () => void): () => void {
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  return () => {
    run();
    rerender();
  };
}
