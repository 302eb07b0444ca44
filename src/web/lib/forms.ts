import type { FormEvent } from 'react';

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
