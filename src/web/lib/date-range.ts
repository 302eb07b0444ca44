import { useState } from 'react';

const DAY = 86_400_000;

/** A range of whole UTC days, as the date inputs hold them (YYYY-MM-DD). */
export interface DayRange {
  from: string;
  to: string;
}

/** YYYY-MM-DD of a date in UTC (the API's buckets are UTC). */
export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** The last `days` days, today included. */
export function lastDays(days: number): DayRange {
  const now = new Date();
  return { from: isoDay(new Date(now.getTime() - (days - 1) * DAY)), to: isoDay(now) };
}

/** How many days the range spans, minus one (0 for a single day). */
export function spanDays(r: DayRange): number {
  return (new Date(r.to).getTime() - new Date(r.from).getTime()) / DAY;
}

/** The range as the API's `from` (inclusive) and `to`: from the first day's start to the last day's end. */
export function rangeQuery(r: DayRange): { from: string; to: string } {
  return { from: `${r.from}T00:00:00.000Z`, to: `${r.to}T23:59:59.999Z` };
}

/** The instant a day of the viewer's calendar (YYYY-MM-DD, as a date input holds it), plus `days`, starts in their time zone, as ISO. */
export function localDayStart(day: string, days = 0): string {
  return new Date(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)) + days).toISOString();
}

/**
 * "From" and "To" days of the viewer's calendar (either may be empty) as the API's `from`
 * (inclusive) and `to` (exclusive, so the To day is whole): the days the history's local
 * times are read in, not UTC days, which start up to 14 hours earlier or later.
 */
export function localDaysQuery(from: string, to: string): { from?: string; to?: string } {
  return { ...(from ? { from: localDayStart(from) } : {}), ...(to ? { to: localDayStart(to, 1) } : {}) };
}

/**
 * What is wrong with a report's range, in words, or null: a day left empty (a cleared date
 * field; the query would carry `from=T00:00:00.000Z`) or a start after the end.
 */
export function rangeProblem(r: DayRange): string | null {
  if (!r.from || !r.to) return 'Enter both a start and an end date.';
  return startsAfterEnd(r) ? 'The start date must not be after the end date.' : null;
}

/** Whether both days are given and the first is after the last (a list's filter may leave either empty). */
export function startsAfterEnd(r: DayRange): boolean {
  return Boolean(r.from && r.to && r.from > r.to);
}

/** A day range held in state, starting with the last `days` days; `bad` (and `problem`, in words) when it cannot be asked for. */
export function useDayRange(days: number) {
  const [range, setRange] = useState(() => lastDays(days));
  const problem = rangeProblem(range);
  return { range, setRange, bad: problem !== null, problem };
}
