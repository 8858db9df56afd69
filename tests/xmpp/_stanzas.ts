/**
 * Helpers for "stanza in → stanza out" tests of the XMPP side: parse XML literals and run a
 * router with a recording `send`.
 *
 * @module
 */

import { Router, type RouterOptions } from "../../src/xmpp/router.ts";
import { type Element, parseXml } from "../../src/xmpp/xml.ts";

/** Parses one XML literal into an element. */
export const parse = parseXml;

/** A router whose sent stanzas are collected in `sent`. */
export function recordingRouter(
  options: Partial<RouterOptions> = {},
): { router: Router; sent: Element[] } {
  const sent: Element[] = [];
  const router = new Router({
    domain: "facebook.example.org",
    send: (stanza) => void sent.push(stanza),
    isRegistered: () => false,
    ...options,
  });
  return { router, sent };
}

/** The defined-condition name inside a stanza's `<error>`, or undefined. */
export function errorCondition(stanza: Element): string | undefined {
  const error = stanza.getChild("error");
  return error?.getChildElements().find((child) => child.name !== "text")?.name;
}

/** The `<text>` inside a stanza's `<error>`, or undefined. */
export function errorText(stanza: Element): string | undefined {
  return stanza.getChild("error")?.getChildText("text") ?? undefined;
}
