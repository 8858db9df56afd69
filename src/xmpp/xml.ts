/**
 * Typed access to xmpp.js's XML elements (ltx), the only XML the program builds or reads.
 *
 * xmpp.js ships no TypeScript types; this module states the small part of ltx's Element we use,
 * so the rest of `src/xmpp/` is strictly typed and no `any` leaks out of this folder.
 *
 * @module
 */

import { xml as untypedXml } from "@xmpp/component";

/** Attribute values as ltx stores them. */
export type Attrs = Record<string, string | undefined>;

/** An XML element as xmpp.js represents it (an ltx Element). */
export interface Element {
  name: string;
  attrs: Attrs;
  children: (Element | string)[];
  parent: Element | null;
  is(name: string, xmlns?: string): boolean;
  getName(): string;
  getNS(): string | undefined;
  getAttr(name: string): string | undefined;
  getChild(name: string, xmlns?: string): Element | undefined;
  getChildren(name: string, xmlns?: string): Element[];
  getChildElements(): Element[];
  getChildText(name: string, xmlns?: string): string | null;
  getText(): string;
  text(): string;
  append(...children: (Element | string)[]): Element;
  c(name: string, attrs?: Attrs): Element;
  up(): Element;
  toString(): string;
}

/** A child argument of {@link xml}: elements, text, or nothing (skipped, handy for optionals). */
export type Child = Element | string | null | undefined | false | Child[];

/** Builds an element; `null`/`undefined`/`false` children and attributes are left out. */
export function xml(name: string, attrs: Attrs = {}, ...children: Child[]): Element {
  const cleanAttrs: Record<string, string> = {};
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined) cleanAttrs[key] = value;
  }
  const flat = children.flat(Infinity as 1).filter((child): child is Element | string =>
    child !== null && child !== undefined && child !== false
  );
  return (untypedXml as (n: string, a: Attrs, ...c: (Element | string)[]) => Element)(
    name,
    cleanAttrs,
    ...flat,
  );
}

interface StreamParser {
  on(event: "element" | "start" | "error", listener: (value: unknown) => void): void;
  write(text: string): void;
}

/**
 * Parses XML text holding one element (tests, recorded stanzas). Throws on malformed XML or
 * when there is no element.
 */
export function parseXml(text: string): Element {
  const Parser = (untypedXml as unknown as { Parser: new () => StreamParser }).Parser;
  const parser = new Parser();
  let root: Element | undefined;
  let failure: unknown;
  parser.on("element", (el) => (root ??= el as Element));
  parser.on("start", () => {});
  parser.on("error", (error) => (failure ??= error));
  parser.write(`<wrapper>${text}</wrapper>`);
  if (failure) throw failure;
  if (!root) throw new Error("No XML element found");
  root.parent = null;
  return root;
}

/** A deep copy of an element, detached from its parent (ltx has no clone method). */
export function cloneElement(element: Element): Element {
  const copy = xml(element.name, { ...element.attrs });
  for (const child of element.children) {
    copy.append(typeof child === "string" ? child : cloneElement(child));
  }
  return copy;
}
