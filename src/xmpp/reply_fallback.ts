/**
 * The quote in front of a reply's text (XEP-0461 with a XEP-0428 fallback), made for the user's
 * clients and recognised in what they send.
 *
 * Clients without replies show the quote; clients with replies hide the marked range and show
 * the replied message instead. Going to Messenger, the quote must go (Messenger shows the reply
 * itself), whether the client marked it with ranges or, as older clients do, just typed a leading
 * `> ` block.
 *
 * @module
 */

import { codePointLength, type CodePointRange } from "./body_ranges.ts";

/**
 * The fallback quote for a reply to `author`'s `text`: `"> Name wrote:\n> text\n"`, each line
 * of the text quoted. The reply's own text follows it directly.
 */
export function replyFallbackQuote(author: string, text: string): string {
  const quoted = text.split("\n").map((line) => `> ${line}`).join("\n");
  return `> ${author} wrote:\n${quoted}\n`;
}

/**
 * The range of a leading quote block (lines starting with `>`, then blank lines), for replies
 * that carry no fallback range. `null` when the body does not start with a quote, or when it
 * is nothing but a quote (then the quote is the message, not a fallback).
 */
export function leadingQuoteRange(body: string): CodePointRange | null {
  const lines = body.split("\n");
  let quoted = 0;
  while (quoted < lines.length && lines[quoted].startsWith(">")) quoted++;
  if (quoted === 0 || quoted === lines.length) return null;
  let end = quoted;
  while (end < lines.length - 1 && lines[end].trim() === "") end++;
  const rest = lines.slice(end).join("\n");
  if (rest.trim() === "") return null;
  const cut = lines.slice(0, end).join("\n") + "\n";
  return { start: 0, end: codePointLength(cut) };
}
