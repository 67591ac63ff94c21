// Unix seconds as an ISO 8601 UTC string ("2025-12-02T09:20:00Z"), for people reading answers beside
// the epoch field integrators use. Pure arithmetic (the civil calendar from a day count, proleptic
// Gregorian), no Date: protocol/ reads no clock and this needs none.

/** The last second of year 9999: four-digit years only. */
export const MAX_ISO_SECONDS = 253_402_300_799;

/** True for whole unix seconds from 1970 through year 9999 (what isoTime accepts). */
export function isIsoSeconds(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0 && x <= MAX_ISO_SECONDS;
}

const two = (n: number) => String(n).padStart(2, '0');

/** `seconds` (whole, 0..MAX_ISO_SECONDS) as "YYYY-MM-DDTHH:MM:SSZ". */
export function isoTime(seconds: number): string {
  if (!isIsoSeconds(seconds)) throw new RangeError(`"seconds" expected whole unix seconds from 0 to ${MAX_ISO_SECONDS}, got ${seconds}`);
  const days = Math.floor(seconds / 86_400);
  const rest = seconds - days * 86_400;
  // Days since 1970-01-01 to a civil date: eras of 400 years (146097 days) starting on March 1st.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hh = Math.floor(rest / 3600);
  const mm = Math.floor((rest % 3600) / 60);
  return `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}T${two(hh)}:${two(mm)}:${two(rest % 60)}Z`;
}
