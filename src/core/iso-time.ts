/**
 * `new Date(ms).toISOString()`, computed here: V8's `toISOString` is a C++ builtin that
 * formats through `snprintf` and looks up the local time zone it does not print, about 0.35
 * µs a call. The metered route formats one timestamp a request, and a page of transactions
 * or a CSV export one or more a row (bench/analysis.md, "The API's timestamps formatted
 * without snprintf"). The same text for every integer millisecond from 1970 to 9999; any
 * other value (before 1970, after 9999, fractional, NaN) goes to `toISOString` itself.
 */
const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
const DAY = 86_400_000;
/** 10000-01-01T00:00:00.000Z: the first time whose year has five digits. */
const YEAR_10000 = 253_402_300_800_000;

export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms < YEAR_10000) || ms % 1 !== 0) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY);
  let rest = ms - days * DAY;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  const millis = rest - seconds * 1000;
  // The civil date of a day count (Howard Hinnant's days_from_civil, inverted): years run
  // from March, so a leap day is a year's last day; eras are 400 years of 146,097 days.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const m = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * m + 2) / 5) + 1;
  const month = m < 10 ? m + 3 : m - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${year}-${PAD2[month]}-${PAD2[day]}T${PAD2[hours]}:${PAD2[minutes]}:${PAD2[seconds]}.${PAD3[millis]}Z`;
}
