/**
 * Typed XML element helpers for the e2e tests and the demo (dev/xmpp_client.ts).
 *
 * Why: xmpp.js ships no TypeScript types, so its elements are `any` under Deno. This module gives
 * tests a small, honest interface over the ltx `Element` both @xmpp/client and @xmpp/xml use, so
 * assertions are type-checked without `any` leaking into every test.
 *
 * `xml` comes from @xmpp/client (0.14), not from the imports map's `@xmpp/xml` (0.13.1): under Deno
 * that version's CommonJS `require("ltx/lib/Element")` (no `.js`) fails against ltx 3.1's exports
 * map, so merely importing it throws NotFound.
 *
 * @module
 */

import { xml as untypedXml } from "@xmpp/client";

/** The subset of ltx's `Element` the tests use (stanzas, payloads, children). */
export interface XmlElement {
  name: string;
  attrs: Record<string, string | undefined>;
  children: Array<XmlElement | string>;
  parent: XmlElement | null;
  /** True if the element has this local name (and namespace, if given). */
  is(name: string, xmlns?: string): boolean;
  /** The element's namespace (inherited from ancestors). */
  getNS(): string | undefined;
  attr(name: string): string | undefined;
  getChild(name: string, xmlns?: string): XmlElement | undefined;
  getChildren(name: string, xmlns?: string): XmlElement[];
  getChildElements(): XmlElement[];
  getChildText(name: string, xmlns?: string): string | null;
  getChildByAttr(
    attr: string,
    value: string,
    xmlns?: string,
    recursive?: boolean,
  ): XmlElement | undefined;
  getText(): string;
  text(): string;
  /** Append a child element and return it (builder style). */
  c(name: string, attrs?: Record<string, string>): XmlElement;
  /** Append text and return this element. */
  t(text: string): XmlElement;
  up(): XmlElement;
  append(...children: Array<XmlElement | string>): XmlElement;
  clone(): XmlElement;
  toString(): string;
}

/** What may be passed as a child to {@linkcode xml}: falsy values are skipped, arrays flattened. */
export type XmlChild = XmlElement | string | null | undefined | boolean | XmlChild[];

/** Attribute values; `null`/`undefined` attributes are dropped, others stringified. */
export type XmlAttrs = Record<string, string | number | boolean | null | undefined>;

/**
 * Build an element: `xml("iq", { type: "get", id: "1" }, xml("ping", { xmlns: "urn:xmpp:ping" }))`.
 * Re-exported from @xmpp/client so built stanzas are the exact class the client serializes.
 */
export const xml: (name: string, attrs?: XmlAttrs | null, ...children: XmlChild[]) => XmlElement =
  untypedXml;
