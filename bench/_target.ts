/**
 * The convention by which bench scripts report their targets to bench/run.ts: one line per target
 * on stdout, `TARGET ` followed by a JSON object `{ "name", "value", "target", "met" }`. `value` is
 * the measured figure (a number, usually a ratio against a baseline of the same run), `target` the
 * bound as text (`"≤ 1.5"`, `"≥ 0.8"`, with a unit when the figure has one), `met` whether the
 * value is within it — or `null` for a figure asked for without a bound (`target` then says so),
 * which the table shows as INFO. bench/run.ts collects every such line into bench/results/latest.json and
 * prints them as a PASS/MISS table; a script may print them from any language or helper, this is
 * just the TypeScript one.
 *
 * @module
 */

/** One target as bench/run.ts collects it. */
export interface TargetLine {
  name: string;
  value: number;
  target: string;
  met: boolean | null;
}

/** Prefix of a target line on a bench script's stdout. */
export const TARGET_PREFIX = "TARGET ";

/**
 * Prints a target line for `value` against `bound` (`"<="`: at most, `">="`: at least) and
 * returns it. `unit` is appended to the bound's text (e.g. `"MiB"`).
 */
export function reportTarget(
  name: string,
  value: number,
  comparison: "<=" | ">=",
  bound: number,
  unit = "",
): TargetLine {
  const line: TargetLine = {
    name,
    value: Number(value.toPrecision(4)),
    target: `${comparison === "<=" ? "≤" : "≥"} ${bound}${unit ? ` ${unit}` : ""}`,
    met: Number.isFinite(value) && (comparison === "<=" ? value <= bound : value >= bound),
  };
  console.log(`${TARGET_PREFIX}${JSON.stringify(line)}`);
  return line;
}

/** Prints a figure that is asked for without a bound (shown as INFO) and returns it. */
export function reportFigure(name: string, value: number, unit = ""): TargetLine {
  const line: TargetLine = {
    name,
    value: Number(value.toPrecision(4)),
    target: unit ? `no bound (${unit})` : "no bound",
    met: null,
  };
  console.log(`${TARGET_PREFIX}${JSON.stringify(line)}`);
  return line;
}

/** The target line in one line of output, or undefined when it is not one (or is malformed). */
export function parseTargetLine(text: string): TargetLine | undefined {
  if (!text.startsWith(TARGET_PREFIX)) return undefined;
  try {
    const value = JSON.parse(text.slice(TARGET_PREFIX.length));
    if (
      typeof value?.name === "string" && typeof value.value === "number" &&
      (typeof value.target === "string" || typeof value.target === "number") &&
      (typeof value.met === "boolean" || value.met === null)
    ) {
      return { name: value.name, value: value.value, target: String(value.target), met: value.met };
    }
  } catch {
    // Not JSON: not a target line.
  }
  return undefined;
}
