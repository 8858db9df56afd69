/**
 * Small readers that narrow fca's untyped JSON without throwing.
 *
 * fca's objects come from a 2020 library scraping Facebook: any field may be missing, a number
 * where a string was expected, or the other way round. These helpers return `undefined` instead
 * of throwing, so a conversion can decide what is fatal for it.
 *
 * @module
 */

/** A JSON object, or undefined. */
export function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/** A non-empty id: strings as they are, integers (Facebook ids arrive as both) as decimal text. */
export function idText(value: unknown): string | undefined {
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  if (typeof value === "bigint") return value.toString();
  return undefined;
}

/** A string, or undefined. */
export function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** A finite number from a number or numeric string (fca's timestamps are strings), or undefined. */
export function numeric(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value === "string" && value.trim() !== "") {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** An array, or an empty one. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
