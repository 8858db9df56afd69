/**
 * XEP-0115 entity capabilities: a hash of a disco#info answer, sent in presence.
 *
 * Why: clients decide which buttons to show (reactions, replies, retraction, markers) from a
 * contact's disco#info, and many (Conversations, Dino, Gajim) only ask for it when a presence
 * carries caps. With caps, one disco#info query per client covers every contact of the gateway,
 * since all contacts share one feature set.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { NS_DATA_FORMS } from "./data_form.ts";
import { NS_CAPS, NS_DISCO_INFO } from "./namespaces.ts";
import { type Element, xml } from "./xml.ts";

/** The node URI naming this software in caps (`node#ver` is what clients query). */
export const CAPS_NODE = "https://codeberg.org/messenger-gateway/messenger-gateway";

/**
 * The XEP-0115 §5.1 verification string of a disco#info `<query/>` (SHA-1, base64): identities,
 * features and extended data forms, each sorted, joined with `<`.
 */
export function capsVerification(query: Element): string {
  const identities = query.getChildren("identity").map((identity) =>
    [
      identity.attrs.category ?? "",
      identity.attrs.type ?? "",
      identity.attrs["xml:lang"] ?? "",
      identity.attrs.name ?? "",
    ].join("/")
  ).sort(octetOrder);
  const features = query.getChildren("feature").map((feature) => feature.attrs.var ?? "")
    .sort(octetOrder);
  const forms = query.getChildren("x", NS_DATA_FORMS).map(formString)
    .filter((form): form is { type: string; text: string } => form !== null)
    .sort((a, b) => octetOrder(a.type, b.type))
    .map((form) => form.text);
  const text = [...identities, ...features, ...forms].map((part) => `${part}<`).join("");
  return createHash("sha1").update(new TextEncoder().encode(text)).digest("base64");
}

/** The `<c/>` element announcing `ver` (hash of our disco#info) in a presence. */
export function capsElement(ver: string): Element {
  return xml("c", { xmlns: NS_CAPS, hash: "sha-1", node: CAPS_NODE, ver });
}

/** True when a disco#info request's `node` asks for the info behind `ver` (`CAPS_NODE#ver`). */
export function isCapsNode(node: string | undefined, ver: string): boolean {
  return node === `${CAPS_NODE}#${ver}`;
}

/** A disco#info reply for a caps query: the info with the queried node echoed. */
export function withNode(query: Element, node: string | undefined): Element {
  if (node === undefined) return query;
  return xml("query", { xmlns: NS_DISCO_INFO, node }, ...query.getChildElements());
}

/** FORM_TYPE first, then the other fields by var, values sorted; forms without FORM_TYPE skipped. */
function formString(form: Element): { type: string; text: string } | null {
  const fields = form.getChildren("field");
  const formType = fields.find((field) => field.attrs.var === "FORM_TYPE");
  if (!formType) return null;
  const type = formType.getChildText("value") ?? "";
  const rest = fields.filter((field) => field !== formType)
    .map((field) => ({
      name: field.attrs.var ?? "",
      values: field.getChildren("value").map((value) => value.text()).sort(octetOrder),
    }))
    .sort((a, b) => octetOrder(a.name, b.name))
    .flatMap((field) => [field.name, ...field.values]);
  return { type, text: [type, ...rest].join("<") };
}

/** "i;octet" collation (RFC 4790): compare UTF-8 bytes, not UTF-16 code units or locale. */
function octetOrder(a: string, b: string): number {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return x[i] - y[i];
  }
  return x.length - y.length;
}
