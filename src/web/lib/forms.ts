import type { FormEvent } from 'react';

/** A form's submit handler: the page stays, `run` does the work. */
export function onSubmit(run: () => void) {
  return (e: FormEvent) => {
    e.preventDefault();
    run();
  };
}
