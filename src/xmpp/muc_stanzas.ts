/**
 * The stanzas of a room (XEP-0045) as the gateway sends them: occupant presences with their
 * status codes, the subject, groupchat messages with the room's stable `stanza-id` and each
 * occupant's `occupant-id`, and direct invitations (XEP-0249).
 *
 * Pure builders, like message_build.ts: addresses and ids are given. Messages in a room are the
 * one-to-one message stanzas turned into groupchat ones ({@link asGroupchat}), so replies,
 * mentions, attachments and their fallbacks are built by one piece of code for both.
 *
 * @module
 */

import type { Occupant } from "../gateway/xmpp_port.ts";
import type { AvatarHint } from "./avatar_cache.ts";
import { NS_SID } from "./namespaces.ts";
import { avatarUpdate } from "./presence_stanzas.ts";
import { type Element, xml } from "./xml.ts";

/** XEP-0045. */
export const NS_MUC = "http://jabber.org/protocol/muc";
/** XEP-0045 occupant information and status codes. */
export const NS_MUC_USER = "http://jabber.org/protocol/muc#user";
/** XEP-0045 admin use cases (kick). */
export const NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin";
/** XEP-0045 owner use cases (room configuration). */
export const NS_MUC_OWNER = "http://jabber.org/protocol/muc#owner";
/** XEP-0045 room information form. */
export const NS_MUC_ROOMINFO = "http://jabber.org/protocol/muc#roominfo";
/** XEP-0421 anonymous unique occupant identifiers. */
export const NS_OCCUPANT_ID = "urn:xmpp:occupant-id:0";
/** XEP-0249 direct MUC invitations. */
export const NS_CONFERENCE = "jabber:x:conference";
/** XEP-0410 MUC self-ping optimisation. */
export const FEATURE_SELF_PING = "http://jabber.org/protocol/muc#self-ping-optimization";

/** Status codes of XEP-0045 §15.6 the gateway uses. */
export const STATUS = {
  /** Real JIDs are visible to everyone (non-anonymous room). */
  NON_ANONYMOUS: "100",
  /** This presence is about you. */
  SELF: "110",
  /** The service changed your nick (to your Messenger name). */
  NICK_CHANGED: "210",
  /** Kicked. */
  KICKED: "307",
  /** Removed because of an affiliation change (members-only room). */
  AFFILIATION_CHANGED: "321",
} as const;

/**
 * Occupant-ids computed lately: every stanza from a room carries one, and hashing it each time was
 * an eighth of the gateway's work for a room message fanned out to three resources.
 */
const occupantIds = new Map<string, Promise<string>>();
const OCCUPANT_IDS_KEPT = 10_000;

/** The occupant-id of a member in a room: stable, the same in every resource and restart. */
export function occupantId(room: string, member: string): Promise<string> {
  const input = `${room}\u0000${member}`;
  let id = occupantIds.get(input);
  if (id === undefined) {
    // Dropped wholesale when full: cheaper than keeping an order, and refilled at once.
    if (occupantIds.size >= OCCUPANT_IDS_KEPT) occupantIds.clear();
    id = hashed(input);
    occupantIds.set(input, id);
  }
  return id;
}

async function hashed(input: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(input));
  return btoa(String.fromCharCode(...new Uint8Array(digest).subarray(0, 18)))
    .replaceAll("+", "-").replaceAll("/", "_");
}

/** What an occupant presence says, besides who it is about. */
export interface OccupantPresenceOptions {
  /** The occupant's full JID (non-anonymous room): shown when known. */
  jid?: string;
  occupantId: string;
  /** Status codes (self, non-anonymous, kicked…). */
  codes?: string[];
  /** Echo of a join's id on the self-presence. */
  id?: string;
  /** An unavailable presence (left, kicked, removed). */
  unavailable?: boolean;
  /** Who kicked (nick), for 307. */
  actor?: string;
  reason?: string;
  /** What to say of the member's own picture (XEP-0153), when anything. */
  avatar?: AvatarHint;
}

/** One occupant's presence in a room, to one resource of the user. */
export function occupantPresence(
  room: string,
  occupant: Occupant,
  to: string,
  options: OccupantPresenceOptions,
): Element {
  const unavailable = options.unavailable === true;
  return xml(
    "presence",
    {
      from: `${room}/${occupant.nick}`,
      to,
      id: options.id,
      type: unavailable ? "unavailable" : undefined,
    },
    xml(
      "x",
      { xmlns: NS_MUC_USER },
      xml(
        "item",
        {
          affiliation: unavailable && options.codes?.includes(STATUS.AFFILIATION_CHANGED)
            ? "none"
            : occupant.admin
            ? "owner"
            : "member",
          // Owners are moderators by XEP-0045's defaults, and clients offer kicks to moderators only
          // (Messenger lets group admins remove members).
          role: unavailable ? "none" : occupant.admin ? "moderator" : "participant",
          jid: options.jid,
        },
        options.actor !== undefined && xml("actor", { nick: options.actor }),
        options.reason !== undefined && xml("reason", {}, options.reason),
      ),
      (options.codes ?? []).map((code) => xml("status", { code })),
    ),
    xml("occupant-id", { xmlns: NS_OCCUPANT_ID, id: options.occupantId }),
    options.avatar && !unavailable ? avatarUpdate(options.avatar) : null,
  );
}

/**
 * The room's own picture (XEP-0486): its hash in a presence from the room's bare JID. In an
 * occupant's presence the same hash would say it is that member's picture.
 */
export function roomPicturePresence(room: string, to: string, hint: AvatarHint): Element {
  return xml("presence", { from: room, to }, avatarUpdate(hint));
}

/** The room's subject (also what tells clients the join is complete). */
export function subjectMessage(room: string, to: string, subject: string, nick?: string): Element {
  return xml(
    "message",
    {
      type: "groupchat",
      from: nick === undefined ? room : `${room}/${nick}`,
      to,
      id: crypto.randomUUID(),
    },
    xml("subject", {}, subject),
  );
}

/** What turns a one-to-one message stanza into a room's. */
export interface GroupchatIds {
  /** The room's stable id for it (XEP-0359 `stanza-id by=room`). */
  stanzaId: string;
  /** The author's occupant-id (XEP-0421). */
  occupantId: string;
  /** The origin-id the author's client gave it (the user's own messages only). */
  originId?: string;
}

/**
 * The same stanza as a room message: type `groupchat`, the room's `stanza-id`, the author's
 * `occupant-id`, and the origin-id only when the user's client gave one (a one-to-one stanza's
 * own origin-id is dropped: in a room it would name a stanza the user never sent).
 */
export function asGroupchat(stanza: Element, room: string, ids: GroupchatIds): Element {
  stanza.attrs.type = "groupchat";
  stanza.children = stanza.children.filter((child) =>
    typeof child === "string" || !child.is("origin-id", NS_SID)
  );
  if (ids.originId !== undefined) {
    stanza.append(xml("origin-id", { xmlns: NS_SID, id: ids.originId }));
  }
  stanza.append(xml("stanza-id", { xmlns: NS_SID, id: ids.stanzaId, by: room }));
  stanza.append(xml("occupant-id", { xmlns: NS_OCCUPANT_ID, id: ids.occupantId }));
  return stanza;
}

/** A XEP-0249 direct invitation to a room (for users whose server grants no bookmarks). */
export function directInvitation(room: string, to: string, from: string, reason: string): Element {
  return xml(
    "message",
    { from, to, id: crypto.randomUUID() },
    xml("x", { xmlns: NS_CONFERENCE, jid: room, reason }),
    xml("body", {}, `${reason}: ${room}`),
  );
}
