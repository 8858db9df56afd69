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

/**
 * Prefix of everything stored about one of a user's rooms (a Messenger group). Its message archive
 * lives under `[…, "mam"]`; the room core may keep other room state beside it.
 */
export function roomPrefix(bareJid: string, thread: string): Deno.KvKey {
  return ["user", bareJid, "room", thread];
}

/** Prefix of a room's message archive (src/store/room_archive.ts). */
export function roomArchivePrefix(bareJid: string, thread: string): Deno.KvKey {
  return ["user", bareJid, "room", thread, "mam"];
}

/** Archived messages in order: the keys continue with `timestamp, seq, id`. */
export function roomArchiveTimelinePrefix(bareJid: string, thread: string): Deno.KvKey {
  return ["user", bareJid, "room", thread, "mam", "t"];
}

/** One author's archived messages (by nick) in order: the keys continue with `timestamp, seq, id`. */
export function roomArchiveByNickPrefix(bareJid: string, thread: string, nick: string): Deno.KvKey {
  return ["user", bareJid, "room", thread, "mam", "n", nick];
}

/** Where an archived message sits in the timeline, found by its id. */
export function roomArchiveIdKey(bareJid: string, thread: string, id: string): Deno.KvKey {
  return ["user", bareJid, "room", thread, "mam", "i", id];
}

/**
 * Prefix of a room archive's message counts per `unit` (hour or day), of all messages or, with
 * `nick`, of one author's; the keys continue with the hour or day number since the epoch.
 */
export function roomArchiveCountPrefix(
  bareJid: string,
  thread: string,
  unit: "hour" | "day",
  nick?: string,
): Deno.KvKey {
  return nick === undefined
    ? ["user", bareJid, "room", thread, "mam", "count", unit]
    : ["user", bareJid, "room", thread, "mam", "count_by_nick", nick, unit];
}

/** Marks a room whose history was fetched from Messenger into the archive. */
export function roomArchiveBackfilledKey(bareJid: string, thread: string): Deno.KvKey {
  return ["user", bareJid, "room", thread, "mam", "backfilled"];
}

/** Where the content watchdog's last check of a user's conversations ended (ms since the epoch). */
export function watchdogMarkKey(bareJid: string): Deno.KvKey {
  return ["user", bareJid, "watchdog"];
}
