/**
 * XEP-0082 date and time (`CCYY-MM-DDThh:mm:ss[.sss]TZD`): reading what clients send (MAM `start`
 * and `end`, MUC `<history since>`) and writing what the gateway sends (delay stamps, archive
 * metadata).
 *
 * Read: any number of fractional digits and any offset (`Z`, `+02:00`, `-05:30`), validated field by
 * field (no 31 April), so a malformed date is the client's error rather than a silent `NaN`.
 * Written: UTC with milliseconds.
 *
 * @module
 */

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/**
 * The instant a XEP-0082 DateTime names, in ms since the epoch (with a fraction when the text has
 * more than millisecond precision); `null` when the text is not one.
 */
export function parseDateTime(text: string): number | null {
  const match = DATE_TIME.exec(text.trim());
  if (match === null) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const [fraction, , sign, offsetHours, offsetMinutes] = match.slice(7);
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return null;
  let offset = 0;
  if (sign !== undefined) {
    if (Number(offsetHours) > 23 || Number(offsetMinutes) > 59) return null;
    offset = (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
    if (sign === "-") offset = -offset;
  }
  const milliseconds = fraction === undefined ? 0 : Number(`0.${fraction}`) * 1000;
  return date.getTime() + milliseconds - offset;
}

/** A XEP-0082 DateTime in UTC with milliseconds, e.g. `2026-01-10T12:00:00.000Z`. */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString();
}
