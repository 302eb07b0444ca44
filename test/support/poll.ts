/**
 * The one polling helper of the tests: waits until a condition holds, instead of sleeping
 * and hoping, or fails saying what was awaited. `check` returns the value to go on with
 * (any truthy value), or something falsy to be asked again.
 */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

export async function until<T>(what: string, check: () => T | Promise<T>, ms = 20_000, every = 20): Promise<Truthy<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as Truthy<T>;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
