/**
 * Every KV key the gateway uses, built in one place.
 *
 * A user's registration is `["registration", bareJid]` and all their other data lives under
 * `["user", bareJid, …]`, so unregistering deletes one record and one prefix: nothing is left.
 *
 * @module
 */

/** Store-wide metadata (schema version). */
export function metaKey(name: string): Deno.KvKey {
  return ["meta", name];
}

/** The registration record of a user (kept apart from their data so listing users is cheap). */
export function userKey(bareJid: string): Deno.KvKey {
  return ["registration", bareJid];
}

/** Prefix of all registration records. */
export const REGISTRATIONS: Deno.KvKey = ["registration"];

/** Prefix of everything stored for a user. */
export function userPrefix(bareJid: string): Deno.KvKey {
  return ["user", bareJid];
}

/** A gateway-wide counter (statistics). */
export function counterKey(name: string): Deno.KvKey {
  return ["counter", name];
}

/** Prefix of a user's message id mappings and seen-message records. */
export function messageIdsPrefix(bareJid: string): Deno.KvKey {
  return ["user", bareJid, "msg"];
}

/** The message link found by the id of the XMPP stanza that carries it. */
export function messageByXmppIdKey(bareJid: string, xmppId: string): Deno.KvKey {
  return ["user", bareJid, "msg", "by_xmpp", xmppId];
}

/** The message link found by its Messenger message id. */
export function messageByMessengerIdKey(bareJid: string, messengerId: string): Deno.KvKey {
  return ["user", bareJid, "msg", "by_messenger", messengerId];
}

/** Records that a Messenger message was already delivered to the user (dedupe). */
export function seenMessageKey(bareJid: string, messengerId: string): Deno.KvKey {
  return ["user", bareJid, "msg", "seen", messengerId];
}

/** Prefix of a user's pending Messenger message requests. */
export function messageRequestsPrefix(bareJid: string): Deno.KvKey {
  return ["user", bareJid, "request"];
}

/** One pending message request of a user, by conversation. */
export function messageRequestKey(bareJid: string, thread: string): Deno.KvKey {
  return ["user", bareJid, "request", thread];
}

/** Prefix of the Messenger contacts a user removed from their roster (left out of syncs). */
export function removedContactsPrefix(bareJid: string): Deno.KvKey {
  return ["user", bareJid, "removed_contact"];
}

/** One contact a user removed from their roster. */
export function removedContactKey(bareJid: string, contact: string): Deno.KvKey {
  return ["user", bareJid, "removed_contact", contact];
}

/** Prefix of a user's conversation directory (which thread ids are groups). */
export function conversationsPrefix(bareJid: string): Deno.KvKey {
  return ["user", bareJid, "conversation"];
}

/** One entry of a user's conversation directory. */
export function conversationKey(bareJid: string, thread: string): Deno.KvKey {
  return ["user", bareJid, "conversation", thread];
}

/** The Messenger account a user is logged in as (id and name), kept for when it is offline. */
export function accountKey(bareJid: string): Deno.KvKey {
  return ["user", bareJid, "account"];
}
