/**
 * One form field as a chat question and the user's chat reply as its value, for the chat
 * interface to commands (users whose client has no ad-hoc command support).
 *
 * Replies are read leniently (yes/no for booleans, a number or a choice for lists) and then
 * checked by the same rules as a submitted XEP-0004 form ({@link checkFieldValue}), so both ways
 * accept exactly the same values.
 *
 * @module
 */

import type { Field, FieldValue } from "../gateway/command.ts";
import { checkFieldValue, fieldLabel, FieldValueError } from "./field_values.ts";

/** The word that keeps the current value, or leaves an optional field empty. */
export const SKIP_WORD = "skip";

/** Where a question stands in its form, for "(2/3)". */
export interface QuestionPosition {
  index: number;
  count: number;
}

/**
 * The question asking for one field: label, description, current value, numbered choices, how
 * to answer, and for text-private fields a warning that chat is less private than a form.
 */
export function fieldQuestion(
  field: Field,
  current: FieldValue | undefined,
  position?: QuestionPosition,
): string {
  const prefix = position && position.count > 1 ? `(${position.index + 1}/${position.count}) ` : "";
  const lines = [
    `${prefix}${fieldLabel(field)}${field.required ? "" : ` (optional, send 'skip')`}`,
  ];
  if (field.description) lines.push(field.description);
  if (current !== undefined) {
    lines.push(`Current value: ${displayValue(field, current)} (send 'skip' to keep it)`);
  }
  (field.options ?? []).forEach((option, index) => {
    lines.push(`${index + 1}. ${option.label ?? option.value}`);
  });
  const hint = HINTS[field.type];
  if (hint) lines.push(hint);
  return lines.join("\n");
}

const HINTS: Partial<Record<Field["type"], string>> = {
  "boolean": "Answer yes or no.",
  "list-single": "Answer with a number or a choice.",
  "list-multi": "Answer with one or more numbers or choices, separated by commas.",
  "jid-single": "Answer with an XMPP address, like user@example.org.",
  "text-multi": "You may answer on several lines.",
  "text-private": "What you send will be used for this command and never logged, but a chat " +
    "message is less private than a form: your client and server may keep it in their history. " +
    "Your client's command menu (ad-hoc commands) is the safer way to send it.",
};

/**
 * The value a chat reply gives `field`: `skip` keeps `current` (or leaves an optional field
 * empty). Throws {@link FieldValueError}, whose message names the field, when the reply does not
 * fit.
 */
export function readAnswer(
  field: Field,
  reply: string,
  current: FieldValue | undefined,
): FieldValue | undefined {
  if (reply.trim().toLowerCase() === SKIP_WORD) {
    if (current !== undefined) return current;
    if (!field.required) return undefined;
    throw new FieldValueError(field, "a value is required, it cannot be skipped");
  }
  return checkFieldValue(field, rawValues(field, reply));
}

/** A value as the user reads it in a question (never a secret). */
export function displayValue(field: Field, value: FieldValue): string {
  if (field.type === "text-private") return "(hidden)";
  if (typeof value === "boolean") return value ? "yes" : "no";
  const labelOf = (choice: string) =>
    field.options?.find((option) => option.value === choice)?.label ?? choice;
  if (Array.isArray(value)) return value.map(labelOf).join(", ") || "(none)";
  return field.type === "list-single" ? labelOf(value) : value;
}

function rawValues(field: Field, reply: string): string[] {
  switch (field.type) {
    case "boolean":
      return [yesNo(field, reply)];
    case "list-single":
      return [choice(field, reply.trim())];
    case "list-multi":
      return reply.split(/[,\n]/).map((part) => part.trim()).filter((part) => part !== "")
        .map((part) => choice(field, part));
    case "text-multi":
      return reply.split(/\r?\n/);
    case "text-private":
      return [reply.replace(/[\r\n]+$/, "")];
    default:
      return [reply];
  }
}

function yesNo(field: Field, reply: string): string {
  const word = reply.trim().toLowerCase();
  if (["yes", "y", "true", "1", "on"].includes(word)) return "1";
  if (["no", "n", "false", "0", "off"].includes(word)) return "0";
  throw new FieldValueError(field, "answer yes or no");
}

/** A list answer as an option value: its number, its value, or its label (any case). */
function choice(field: Field, answer: string): string {
  const options = field.options ?? [];
  if (/^\d+$/.test(answer)) {
    const option = options[Number(answer) - 1];
    if (option) return option.value;
  }
  const lower = answer.toLowerCase();
  const option = options.find((candidate) => candidate.value === answer) ??
    options.find((candidate) =>
      candidate.value.toLowerCase() === lower || candidate.label?.toLowerCase() === lower
    );
  return option?.value ?? answer;
}
