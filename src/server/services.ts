/**
 * Adapters and background watchers that routes use. Each integration has a simulated
 * twin, chosen by configuration in main.ts.
 */
import type { ThresholdAlerts } from '../core/alerts/alerts.js';

export interface Services {
  /** Low-balance and depleted alerts, driven by the writer's commits. */
  thresholds?: ThresholdAlerts;
}
