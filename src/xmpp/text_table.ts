/**
 * A command's result table as chat text: aligned columns in a XEP-0393 preformatted block, so
 * clients that support message styling show it in a monospace font and the columns line up.
 *
 * @module
 */

import type { ResultStep } from "../gateway/command.ts";

/** The table of a result. */
export type ResultTable = NonNullable<ResultStep["table"]>;

/** The table as lines: header, a rule, one line per row, columns padded to the widest cell. */
export function renderTextTable(table: ResultTable): string {
  const cell = (text: string) => text.replace(/\s*\r?\n\s*/g, " ");
  const header = table.columns.map((column) => cell(column.label));
  const rows = table.rows.map((row) => table.columns.map((column) => cell(row[column.name] ?? "")));
  const widths = header.map((label, index) =>
    Math.max(width(label), ...rows.map((row) => width(row[index])))
  );
  const line = (cells: string[]) =>
    cells.map((text, index) => text + " ".repeat(widths[index] - width(text))).join("  ")
      .trimEnd();
  const lines = [
    line(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...(rows.length ? rows.map(line) : ["(none)"]),
  ];
  return ["```", ...lines, "```"].join("\n");
}

/** Display width, counting code points (not UTF-16 units) so accents and emoji align better. */
function width(text: string): number {
  return [...text].length;
}
