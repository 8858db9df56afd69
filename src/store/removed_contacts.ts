/**
 * The Messenger contacts a user removed from their XMPP roster.
 *
 * Why: every login puts the user's Messenger friends into their roster; without remembering
 * removals, a contact the user deleted would come back at each restart. Adding the contact back
 * from the client (a subscription request) forgets the removal. Stored under the user's prefix,
 * so unregistering deletes them.
 *
 * @module
 */

import { removedContactKey, removedContactsPrefix } from "./keys.ts";

/** Remembers that the user removed `contact` (a Messenger user id) from their roster. */
export async function markContactRemoved(
  kv: Deno.Kv,
  bareJid: string,
  contact: string,
): Promise<void> {
  await kv.set(removedContactKey(bareJid, contact), Date.now());
}

/** Forgets a removal (the user added the contact back). */
export async function unmarkContactRemoved(
  kv: Deno.Kv,
  bareJid: string,
  contact: string,
): Promise<void> {
  await kv.delete(removedContactKey(bareJid, contact));
}

/** The Messenger user ids the user removed from their roster. */
export async function removedContacts(kv: Deno.Kv, bareJid: string): Promise<Set<string>> {
  const removed = new Set<string>();
  for await (const entry of kv.list({ prefix: removedContactsPrefix(bareJid) })) {
    removed.add(String(entry.key.at(-1)));
  }
  return removed;
}
