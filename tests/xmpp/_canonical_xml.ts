/**
 * Compares stanzas with XML literals regardless of attribute order and indentation, so tests
 * can state the expected stanza as readable XML.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Element, parseXml } from "../../src/xmpp/xml.ts";

/** A stable text form: attributes sorted, whitespace-only text between elements dropped. */
export function canonical(element: Element): string {
  const attrs = Object.entries(element.attrs)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => ` ${name}=${JSON.stringify(value)}`)
    .join("");
  const hasElements = element.children.some((child) => typeof child !== "string");
  const children = element.children
    .filter((child) => typeof child !== "string" || !hasElements || child.trim() !== "")
    .map((child) => typeof child === "string" ? JSON.stringify(child) : canonical(child))
    .join("");
  return `<${element.name}${attrs}>${children}</${element.name}>`;
}

/** Asserts that `actual` is the stanza written in `expected`. */
export function assertXml(actual: Element, expected: string): void {
  assert.equal(canonical(actual), canonical(parseXml(expected)));
}
