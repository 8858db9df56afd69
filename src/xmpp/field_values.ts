/**
 * Checking submitted values against a form's fields, shared by the XEP-0004 form parser and the
 * chat dialogue, so a value is accepted or refused the same way whichever way the user answered.
 *
 * Values arrive as raw texts (what XEP-0004 `<value/>` elements hold); the result is the typed
 * {@link FormValues} commands receive. Nothing here logs: a text-private value must never reach a
 * log line.
 *
 * @module
 */

import type { Field, FieldValue, FormValues } from "../gateway/command.ts";
import { parseJid } from "./jid.ts";

/** A value that does not fit its field; the message names the field by its label. */
export class FieldValueError extends Error {
  override name = "FieldValueError";
  constructor(readonly field: Field, problem: string) {
    super(`${fieldLabel(field)}: ${problem}`);
  }
}

/** How a field is named to the user: its label, else its machine name. */
export function fieldLabel(field: Field): string {
  return field.label ?? field.name;
}

/** True for fields the user answers (fixed fields are text to read, hidden ones carry state). */
export function isAnswered(field: Field): boolean {
  return field.type !== "fixed" && field.type !== "hidden";
}

const SINGLE_VALUED = new Set<Field["type"]>([
  "text-single",
  "text-private",
  "boolean",
  "list-single",
  "jid-single",
]);

/**
 * Turns the raw texts submitted for one field into its value; `undefined` when nothing was given
 * (and the field is optional). Hidden fields always keep the value the gateway put there, so a
 * client cannot tamper with them. Throws {@link FieldValueError}.
 */
export function checkFieldValue(field: Field, raw: readonly string[]): FieldValue | undefined {
  if (field.type === "fixed") return undefined;
  if (field.type === "hidden") return field.value;
  const given = raw.filter((value) =>
    field.type === "text-private" ? value !== "" : value.trim() !== ""
  );
  if (given.length === 0) {
    if (field.required) throw new FieldValueError(field, "a value is required");
    return undefined;
  }
  if (SINGLE_VALUED.has(field.type) && given.length > 1) {
    throw new FieldValueError(field, "only one value is allowed");
  }
  const [first] = given;
  switch (field.type) {
    case "text-private":
      return first;
    case "text-single":
      return first.trim();
    case "text-multi":
      return given.join("\n");
    case "boolean":
      return parseBoolean(field, first);
    case "list-single":
      return checkChoice(field, first.trim());
    case "list-multi":
      return given.map((value) => checkChoice(field, value.trim()));
    case "jid-single": {
      const jid = parseJid(first.trim());
      if (!jid) throw new FieldValueError(field, `'${first.trim()}' is not a valid XMPP address`);
      return jid.full;
    }
  }
}

/**
 * Checks every field of a form against the raw texts submitted by field name; names that are not
 * fields of the form are ignored. Only fields with a value appear in the result.
 * Throws {@link FieldValueError} for the first field that does not fit.
 */
export function checkFormValues(
  fields: readonly Field[],
  rawByName: ReadonlyMap<string, readonly string[]>,
): FormValues {
  const values: FormValues = {};
  for (const field of fields) {
    const value = checkFieldValue(field, rawByName.get(field.name) ?? []);
    if (value !== undefined) values[field.name] = value;
  }
  return values;
}

function parseBoolean(field: Field, raw: string): boolean {
  switch (raw.trim().toLowerCase()) {
    case "1":
    case "true":
      return true;
    case "0":
    case "false":
      return false;
    default:
      throw new FieldValueError(field, "must be true or false (1 or 0)");
  }
}

function checkChoice(field: Field, value: string): string {
  const options = field.options ?? [];
  if (options.length === 0 || options.some((option) => option.value === value)) return value;
  const choices = options.map((option) => option.value).join(", ");
  throw new FieldValueError(field, `'${value}' is not one of the choices (${choices})`);
}
