/**
 * Adapters to the outside world that routes use through core use-cases. Each has a
 * simulated twin, chosen by configuration in main.ts. Each area adds its own field.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled in by the payments and platform areas
export interface Services {}
