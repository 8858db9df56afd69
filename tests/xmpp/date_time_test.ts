import assert from "node:assert/strict";
import { formatDateTime, parseDateTime } from "../../src/xmpp/date_time.ts";

const NOON = Date.UTC(2026, 0, 10, 12, 0, 0);

Deno.test("XEP-0082 DateTimes are read with or without fractions and with any offset", () => {
  assert.equal(parseDateTime("2026-01-10T12:00:00Z"), NOON);
  assert.equal(parseDateTime("2026-01-10T12:00:00.123Z"), NOON + 123);
  assert.equal(parseDateTime("2026-01-10T12:00:00.1Z"), NOON + 100);
  assert.equal(parseDateTime("2026-01-10T14:00:00+02:00"), NOON);
  assert.equal(parseDateTime("2026-01-10T06:30:00-05:30"), NOON);
  assert.equal(parseDateTime("2026-01-10T12:00:00+00:00"), NOON);
  assert.equal(parseDateTime(" 2026-01-10t12:00:00z "), NOON, "RFC 3339 allows lower case");
  // Years before 100 are not shifted to the 1900s (as Date.UTC would do).
  assert.equal(parseDateTime("0099-01-01T00:00:00Z"), new Date("0099-01-01T00:00:00Z").getTime());
});

Deno.test("sub-millisecond fractions are kept, so start and end bounds stay exact", () => {
  assert.equal(parseDateTime("2026-01-10T12:00:00.000500Z"), NOON + 0.5);
  assert.equal(parseDateTime("2026-01-10T12:00:00.999999Z"), NOON + 999.999);
});

Deno.test("anything that is not a valid DateTime reads as null", () => {
  for (
    const bad of [
      "",
      "2026-01-10",
      "2026-01-10T12:00:00",
      "2026-01-10T12:00Z",
      "2026-01-10 12:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-02-29T00:00:00Z",
      "2026-04-31T00:00:00Z",
      "2026-01-10T24:00:00Z",
      "2026-01-10T12:60:00Z",
      "2026-01-10T12:00:60Z",
      "2026-01-10T12:00:00+24:00",
      "2026-01-10T12:00:00.Z",
      "1736510400",
      "yesterday",
    ]
  ) {
    assert.equal(parseDateTime(bad), null, bad);
  }
  assert.equal(parseDateTime("2028-02-29T00:00:00Z"), Date.UTC(2028, 1, 29), "a leap day is fine");
});

Deno.test("DateTimes are written in UTC with milliseconds and read back unchanged", () => {
  assert.equal(formatDateTime(NOON + 5), "2026-01-10T12:00:00.005Z");
  for (const ms of [0, NOON, NOON + 999, Date.UTC(1999, 11, 31, 23, 59, 59, 1)]) {
    assert.equal(parseDateTime(formatDateTime(ms)), ms);
  }
});
