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
import { capsVerification, isCapsNode, withNode } from "./entity_caps.ts";
import { StanzaError } from "./stanza_error.ts";
import { type Element, xml } from "./xml.ts";

/** An item listed in disco#items (e.g. the commands node, later). */
export interface DiscoItem {
  jid: string;
  node?: string;
  name?: string;
}

/** What disco#info tells about a node of the gateway (e.g. an ad-hoc command). */
export interface DiscoNodeInfo {
  identities: { category: string; type: string; name?: string }[];
  features: string[];
}

/** What disco needs to know about the gateway. */
export interface DiscoOptions {
  /** The configured gateway name (identity name). */
  name: string;
  /** Items for disco#items without a node; computed per requester. */
  items?: (requester: string) => Promise<DiscoItem[]> | DiscoItem[];
  /**
   * disco#info of a node, for the requester's full JID; `null` when there is no such node
   * (item-not-found). May throw a StanzaError (e.g. forbidden).
   */
  nodeInfo?: (
    node: string,
    requester: string,
  ) => Promise<DiscoNodeInfo | null> | DiscoNodeInfo | null;
  /** disco#items of a node, for the requester's full JID; `null` when there is no such node. */
  nodeItems?: (node: string, requester: string) => Promise<DiscoItem[] | null> | DiscoItem[] | null;
}

/**
 * The gateway's own disco#info (identity and the features really registered), also hashed into
 * the XEP-0115 caps of its presence.
 */
export function gatewayInfo(router: Router, name: string): Element {
  return xml(
    "query",
    { xmlns: NS_DISCO_INFO },
    xml("identity", { category: "gateway", type: "facebook", name }),
    ...router.features("gateway").map((feature) => xml("feature", { var: feature })),
  );
}

/** Registers disco#info and disco#items on the gateway JID. */
export function registerServiceDiscovery(router: Router, options: DiscoOptions): void {
  router.iq("gateway", "get", NS_DISCO_INFO, "query", async ({ payload, from }) => {
    const node = nodeOf(payload);
    const info = gatewayInfo(router, options.name);
    if (isCapsNode(node, capsVerification(info))) return withNode(info, node);
    if (node !== undefined) {
      const info = await options.nodeInfo?.(node, from.full);
      if (!info) throw unknownNode(node);
      return xml(
        "query",
        { xmlns: NS_DISCO_INFO, node },
        ...info.identities.map((identity) => xml("identity", { ...identity })),
        ...info.features.map((feature) => xml("feature", { var: feature })),
      );
    }
    return info;
  });
  router.iq("gateway", "get", NS_DISCO_ITEMS, "query", async ({ payload, from }) => {
    const node = nodeOf(payload);
    const items = node === undefined
      ? (options.items ? await options.items(from.bare) : [])
      : await options.nodeItems?.(node, from.full);
    if (!items) throw unknownNode(node ?? "");
    return xml(
      "query",
      { xmlns: NS_DISCO_ITEMS, node },
      ...items.map((item) => xml("item", { jid: item.jid, node: item.node, name: item.name })),
    );
  });
}

/** The queried node, or undefined for the gateway itself. */
function nodeOf(payload: Element): string | undefined {
  const node = payload.attrs.node;
  return node === undefined || node === "" ? undefined : node;
}

function unknownNode(node: string): StanzaError {
  return new StanzaError("item-not-found", `No such node: ${node}`);
}
