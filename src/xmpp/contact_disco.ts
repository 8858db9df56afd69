/**
 * XEP-0030 disco#info on contact JIDs: what a Messenger contact supports, so clients show the
 * right buttons. Corrections (XEP-0308) are deliberately absent — Messenger cannot edit — and
 * reactions carry XEP-0444's restriction form: one reaction per person, as Messenger enforces.
 *
 * @module
 */

import { threadIdOf } from "../gateway/contact_ids.ts";
import { NS_DATA_FORMS } from "./data_form.ts";
import {
  NS_CHAT_MARKERS,
  NS_CHAT_STATES,
  NS_DISCO_INFO,
  NS_OOB,
  NS_REACTIONS,
  NS_REACTIONS_RESTRICTIONS,
  NS_RECEIPTS,
  NS_REPLY,
  NS_RETRACT,
} from "./namespaces.ts";
import type { Router } from "./router.ts";
import { capsVerification, isCapsNode, withNode } from "./entity_caps.ts";
import { StanzaError } from "./stanza_error.ts";
import { type Element, xml } from "./xml.ts";

/** The message features every contact has (the 1:1 message flows implement them). */
export const CONTACT_MESSAGE_FEATURES = [
  NS_CHAT_MARKERS,
  NS_CHAT_STATES,
  NS_OOB,
  NS_REACTIONS,
  NS_RECEIPTS,
  NS_REPLY,
  NS_RETRACT,
] as const;

/**
 * The disco#info every contact answers (they all share one feature set), also hashed into the
 * XEP-0115 caps of their presences.
 */
export function contactInfo(router: Router): Element {
  return xml(
    "query",
    { xmlns: NS_DISCO_INFO },
    xml("identity", { category: "client", type: "pc" }),
    ...router.features("contact").map((feature) => xml("feature", { var: feature })),
    xml(
      "x",
      { xmlns: NS_DATA_FORMS, type: "result" },
      xml(
        "field",
        { var: "FORM_TYPE", type: "hidden" },
        xml("value", {}, NS_REACTIONS_RESTRICTIONS),
      ),
      xml("field", { var: "max_reactions_per_user" }, xml("value", {}, "1")),
    ),
  );
}

/**
 * Answers disco#info on contact JIDs (registered users only: the router checks), also for the
 * caps node their presences announce.
 */
export function registerContactDisco(router: Router): void {
  for (const feature of CONTACT_MESSAGE_FEATURES) router.feature("contact", feature);
  router.iq("contact", "get", NS_DISCO_INFO, "query", ({ to, payload }) => {
    if (!threadIdOf(to.local)) {
      throw new StanzaError("item-not-found", `${to.bare} is not a Messenger contact address`);
    }
    const info = contactInfo(router);
    const node = payload.attrs.node || undefined;
    if (node !== undefined && !isCapsNode(node, capsVerification(info))) {
      throw new StanzaError("item-not-found", "No such node");
    }
    return withNode(info, node);
  });
}
