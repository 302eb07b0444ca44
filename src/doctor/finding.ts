/** What a check of `credits doctor` reports (src/doctor.ts). */
export type Severity = 'blocking' | 'warning' | 'ok';

export interface Finding {
  /** Stable name of the check (tests and scripts key on it). */
  check: string;
  severity: Severity;
  message: string;
  /** How to fix it (absent when all is well). */
  fix?: string;
}

export interface DoctorOptions {
  /** Postgres schema (tests give each run its own). */
  pgSchema?: string;
  now?: () => number;
  /** Skip the checks that need the database (the start-up check runs before it opens). */
  skipDatabase?: boolean;
}

export const ok = (check: string, message: string): Finding => ({ check, severity: 'ok', message });
