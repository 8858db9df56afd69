/**
 * XEP-0030 service discovery on the gateway's own JID.
 *
 * The feature list comes from the router, i.e. from the handlers that are really registered, so
 * the gateway never advertises something it does not implement.
 *
 * @module
 */

import { NS_DISCO_INFO, NS_DISCO_ITEMS } from "./namespaces.ts";
import type { Router } from "./router.ts";
import { StanzaError } from "./stanza_error.ts";
import { type Element, xml } from "./xml.ts";

/** An item listed in disco#items (e.g. the commands node, later). */
export interface DiscoItem {
  jid: string;
  node?: string;
  name?: string;
}

/** What disco needs to know about the gateway. */
export interface DiscoOptions {
  /** The configured gateway name (identity name). */
  name: string;
  /** Items for disco#items without a node; computed per requester. */
  items?: (requester: string) => Promise<DiscoItem[]> | DiscoItem[];
}

/** Registers disco#info and disco#items on the gateway JID. */
export function registerServiceDiscovery(router: Router, options: DiscoOptions): void {
  router.iq("gateway", "get", NS_DISCO_INFO, "query", ({ payload }) => {
    rejectUnknownNode(payload);
    return xml(
      "query",
      { xmlns: NS_DISCO_INFO },
      xml("identity", { category: "gateway", type: "facebook", name: options.name }),
      ...router.features("gateway").map((feature) => xml("feature", { var: feature })),
    );
  });
  router.iq("gateway", "get", NS_DISCO_ITEMS, "query", async ({ payload, from }) => {
    rejectUnknownNode(payload);
    const items = options.items ? await options.items(from.bare) : [];
    return xml(
      "query",
      { xmlns: NS_DISCO_ITEMS },
      ...items.map((item) => xml("item", { jid: item.jid, node: item.node, name: item.name })),
    );
  });
}

function rejectUnknownNode(payload: Element): void {
  const node = payload.attrs.node;
  if (node !== undefined && node !== "") {
    throw new StanzaError("item-not-found", `No such node: ${node}`);
  }
}
