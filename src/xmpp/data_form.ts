/**
 * XEP-0004 data forms for the gateway's commands: a {@link FormStep} rendered as a form to fill
 * in, a {@link ResultStep} as what a completed ad-hoc command shows, and a submitted form parsed
 * back into checked {@link FormValues}.
 *
 * A wrong submission is the user's mistake, not a crash: it becomes a `bad-request` whose text
 * names the field by its label ("Email: a value is required"). Submitted values are never logged
 * (text-private fields hold passwords).
 *
 * @module
 */

import type { Field, FieldValue, FormStep, FormValues, ResultStep } from "../gateway/command.ts";
import { checkFormValues, FieldValueError } from "./field_values.ts";
import { StanzaError } from "./stanza_error.ts";
import { type Element, xml } from "./xml.ts";

/** XEP-0004 data forms. */
export const NS_DATA_FORMS = "jabber:x:data";

/**
 * The `<x type="form">` asking the user to fill in a step's fields (also used for the forms of
 * XEP-0077 registration and XEP-0055 search, which are not command steps).
 */
export function renderForm(step: Pick<FormStep, "title" | "instructions" | "fields">): Element {
  return xml(
    "x",
    { xmlns: NS_DATA_FORMS, type: "form" },
    xml("title", {}, step.title),
    instructionLines(step.instructions).map((line) => xml("instructions", {}, line)),
    step.fields.flatMap(renderField),
  );
}

/**
 * What a completed command shows: the note as a XEP-0050 `<note type="info">` (results only
 * appear inside ad-hoc command replies) and the table as a `<x type="result">` with `<reported>`
 * columns and one `<item>` per row. Empty when the result has neither.
 */
export function renderResult(step: ResultStep): Element[] {
  const out: Element[] = [];
  if (step.note) out.push(xml("note", { type: "info" }, step.note));
  if (step.table) {
    const { columns, rows } = step.table;
    out.push(xml(
      "x",
      { xmlns: NS_DATA_FORMS, type: "result" },
      xml(
        "reported",
        {},
        columns.map((column) => xml("field", { var: column.name, label: column.label })),
      ),
      rows.map((row) =>
        xml(
          "item",
          {},
          columns.map((column) =>
            xml("field", { var: column.name }, xml("value", {}, row[column.name] ?? ""))
          ),
        )
      ),
    ));
  }
  return out;
}

/**
 * Reads a submitted form (`<x type="submit">`; a missing form counts as an empty submission)
 * into values checked against `fields`: required fields present, booleans from 1/0/true/false,
 * list choices among the options, JIDs valid. A field left out keeps its pre-filled value; fields
 * not in the step are ignored.
 * Throws StanzaError `bad-request` naming the field by its label.
 */
export function parseSubmittedForm(
  form: Element | undefined,
  fields: readonly Field[],
): FormValues {
  if (form && form.attrs.type !== "submit") {
    throw new StanzaError(
      "bad-request",
      `The form must be of type 'submit', not '${form.attrs.type ?? ""}'`,
    );
  }
  const rawByName = new Map<string, string[]>();
  for (const field of form?.getChildren("field") ?? []) {
    const name = field.attrs.var;
    if (name === undefined || rawByName.has(name)) continue;
    rawByName.set(name, field.getChildren("value").map((value) => value.getText()));
  }
  for (const field of fields) {
    // A field left out of the submission keeps the value the form offered (some clients only
    // send what the user changed); a field sent empty is empty.
    if (!rawByName.has(field.name)) rawByName.set(field.name, valueTexts(field.type, field.value));
  }
  try {
    return checkFormValues(fields, rawByName);
  } catch (error) {
    if (error instanceof FieldValueError) throw new StanzaError("bad-request", error.message);
    throw error;
  }
}

function renderField(field: Field): Element[] {
  if (field.type === "fixed" && typeof field.value === "string" && field.value.includes("\n")) {
    // XEP-0004 §3.3: a fixed value holds no newlines; one fixed field per line instead.
    return field.value.split("\n").map((line, index) =>
      xml(
        "field",
        { var: index === 0 ? field.name : undefined, type: "fixed" },
        xml("value", {}, line),
      )
    );
  }
  return [xml(
    "field",
    { var: field.name, type: field.type, label: field.label },
    field.description ? xml("desc", {}, field.description) : null,
    field.required ? xml("required") : null,
    valueTexts(field.type, field.value).map((text) => xml("value", {}, text)),
    (field.options ?? []).map((option) =>
      xml("option", { label: option.label }, xml("value", {}, option.value))
    ),
  )];
}

/** A value as XEP-0004 `<value/>` texts: booleans as 1/0, lists and text-multi as several. */
function valueTexts(type: Field["type"], value: FieldValue | undefined): string[] {
  if (value === undefined) return [];
  if (typeof value === "boolean") return [value ? "1" : "0"];
  if (Array.isArray(value)) return value;
  if (type === "text-multi") return value.split("\n");
  return [value];
}

function instructionLines(instructions: string | undefined): string[] {
  return (instructions ?? "").split("\n").filter((line) => line.trim() !== "");
}
