/**
 * Reading the bench scripts' numeric arguments the same way everywhere: a bad or missing value
 * falls back to the default instead of failing a long run, and the bounds keep a typo from
 * starting a run of hours.
 *
 * @module
 */

/** `text` as an integer within [min, max]; `fallback` when it is not a number. */
export function clampInt(text: unknown, fallback: number, min: number, max: number): number {
  const value = Number(text ?? fallback);
  return Number.isFinite(value) ? Math.max(min, Math.min(Math.floor(value), max)) : fallback;
}

/** A comma-separated list of positive integers, sorted and without repeats; `fallback` if none. */
export function integers(text: unknown, fallback: number[]): number[] {
  if (typeof text !== "string") return fallback;
  const parsed = text.split(",").map((part) => Math.floor(Number(part)))
    .filter((n) => Number.isFinite(n) && n > 0);
  return parsed.length > 0 ? [...new Set(parsed)].sort((a, b) => a - b) : fallback;
}
