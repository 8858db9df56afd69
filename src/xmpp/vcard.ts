/**
 * vcard-temp (XEP-0054) on contact JIDs — name and avatar, which is how most clients show a
 * contact's picture (the XEP-0153 hash in presence tells them when to ask) — and on the gateway
 * JID (its name).
 *
 * A contact's vCard needs no Messenger call: the name comes from the last contact sync and the
 * picture from the avatar cache. An avatar that cannot be fetched leaves PHOTO out rather than
 * failing the request.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { userIdOf } from "../gateway/contact_ids.ts";
import type { ContactCard } from "../gateway/xmpp_port.ts";
import type { UserId } from "../messenger/ids.ts";
import type { Avatar, AvatarCache } from "./avatar_cache.ts";
import { NS_VCARD } from "./namespaces.ts";
import type { Router } from "./router.ts";
import { StanzaError } from "./stanza_error.ts";
import { type Element, xml } from "./xml.ts";

/** What the vCard handlers need. */
export interface VcardOptions {
  /** The gateway's name (FN of the gateway's vCard). */
  name: string;
  /** A registered user's contact by Messenger id, when known. */
  contact: (user: string, id: UserId) => ContactCard | undefined;
  avatars: AvatarCache;
}

/** Registers vCard `get` on contact JIDs and on the gateway JID. */
export function registerVcard(router: Router, options: VcardOptions): void {
  router.iq("contact", "get", NS_VCARD, "vCard", async ({ from, to }) => {
    const id = userIdOf(to.local);
    if (id === null) {
      throw new StanzaError("item-not-found", `${to.bare} is not a Messenger contact address`);
    }
    const card = options.contact(from.bare, id);
    if (!card) {
      throw new StanzaError(
        "item-not-found",
        `${to.bare} is not one of your Messenger contacts (yet: contacts are known after a sync)`,
      );
    }
    const avatar = await options.avatars.get(card.id, card.avatarUrl);
    return vcard(xml("FN", {}, card.name), xml("NICKNAME", {}, card.name), photo(avatar));
  });
  router.iq("gateway", "get", NS_VCARD, "vCard", () =>
    vcard(
      xml("FN", {}, options.name),
      xml("DESC", {}, "A gateway between XMPP and Facebook Messenger"),
    ));
}

/** A `<vCard/>` with these fields (null ones left out). */
export function vcard(...children: (Element | null)[]): Element {
  return xml("vCard", { xmlns: NS_VCARD }, ...children);
}

/** A vCard's PHOTO with the picture inline; null without one. */
export function photo(avatar: Avatar | null): Element | null {
  if (!avatar) return null;
  return xml(
    "PHOTO",
    {},
    xml("TYPE", {}, avatar.type),
    xml("BINVAL", {}, Buffer.from(avatar.data).toString("base64")),
  );
}
