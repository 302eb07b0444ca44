/** Polling instead of sleeping: waits until a condition holds, or fails saying what was awaited. */
export async function until<T>(what: string, check: () => T | Promise<T>, ms = 20_000, every = 20): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}
