/**
 * Adapters to the outside world that routes use through core use-cases. Each has a
 * simulated twin, chosen by configuration in main.ts.
 */
export type Services = Record<string, never>;
