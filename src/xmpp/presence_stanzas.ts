/**
 * The presence stanzas the gateway and its contacts send: availability with the XEP-0153 avatar
 * hash, and subscription requests that say why they are asked for.
 *
 * @module
 */

import type { PresenceState } from "../gateway/xmpp_port.ts";
import type { AvatarHint } from "./avatar_cache.ts";
import { NS_NICK, NS_VCARD_UPDATE } from "./namespaces.ts";
import { type Element, xml } from "./xml.ts";

/** Why contacts ask for a subscription instead of appearing in the roster by themselves. */
export type SubscriptionReason = "no_privilege" | "push_failed";

const REASONS: Record<SubscriptionReason, string> = {
  no_privilege: "your XMPP server does not let the gateway add contacts to your roster " +
    "(XEP-0356 roster privilege)",
  push_failed: "your XMPP server refused to let the gateway add contacts to your roster",
};

/**
 * An available or unavailable presence; `avatar` adds the XEP-0153 `<x>` (on contact presences,
 * so clients know when to fetch the vCard), `caps` the XEP-0115 `<c>` (available ones only).
 */
export function presenceStanza(
  from: string,
  to: string,
  presence: PresenceState,
  avatar?: AvatarHint,
  caps?: Element,
): Element {
  return xml(
    "presence",
    { from, to, type: presence.available ? undefined : "unavailable" },
    presence.show ? xml("show", {}, presence.show) : null,
    presence.status ? xml("status", {}, presence.status) : null,
    avatar ? avatarUpdate(avatar) : null,
    presence.available ? caps : null,
  );
}

/** XEP-0153 `<x xmlns="vcard-temp:x:update">`: the hash, empty `<photo/>` for none, or nothing yet. */
export function avatarUpdate(hint: AvatarHint): Element {
  return xml(
    "x",
    { xmlns: NS_VCARD_UPDATE },
    hint.kind === "known"
      ? xml("photo", {}, hint.sha1)
      : hint.kind === "none"
      ? xml("photo")
      : null,
  );
}

/** A subscription request from a contact or the gateway, with its name and the reason. */
export function subscriptionRequest(
  from: string,
  to: string,
  nick: string,
  reason: SubscriptionReason,
  who: "gateway" | "contact",
): Element {
  const ask = who === "gateway"
    ? "The Messenger gateway: accept so it can show you your Messenger connection"
    : "Messenger contact: accept so you can chat";
  return xml(
    "presence",
    { type: "subscribe", from, to },
    xml("nick", { xmlns: NS_NICK }, nick),
    xml("status", {}, `${ask}. This request comes because ${REASONS[reason]}`),
  );
}

/** A subscription-state presence (`subscribed`, `unsubscribed`, `unsubscribe`, `probe`…). */
export function subscriptionPresence(
  type: "subscribe" | "subscribed" | "unsubscribe" | "unsubscribed" | "probe",
  from: string,
  to: string,
  status?: string,
): Element {
  return xml("presence", { type, from, to }, status ? xml("status", {}, status) : null);
}
