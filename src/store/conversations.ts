/**
 * A user's stored directory of group conversations, with what a room shows of each (name,
 * members, admins, picture), so rooms are complete right after a restart.
 *
 * Why stored: a room and a contact have the same shape of JID (`<digits>@<component>`), so the
 * gateway must know, before it acts on any stanza, whether a thread id is a group — also right
 * after a restart, before Messenger said anything. Threads not listed are direct chats. A group
 * the account left (or was removed from) stays listed as `left`, so its room answers
 * "item-not-found" instead of becoming a contact. Lives under the user's prefix: unregistering
 * deletes it.
 *
 * @module
 */

import { conversationKey, conversationsPrefix } from "./keys.ts";

/** A stored group (plain values: the gateway turns them back into its own types). */
export interface StoredGroup {
  thread: string;
  /** The group's name, when it has one. */
  name?: string;
  /** The account is no longer a member. */
  left?: boolean;
  /**
   * The members with their names (and profile pictures, absent in stores written before they
   * were kept), in the order they became known (room nicks derive from it).
   */
  members?: { id: string; name: string; avatarUrl?: string }[];
  /** The members who are group admins. */
  admins?: string[];
  /** The group's picture, when it has one. */
  imageUrl?: string;
  /** When the entry last changed (ms since the epoch). */
  updatedAt: number;
}

/** Stores (or replaces) one group entry. */
export async function putGroup(kv: Deno.Kv, bareJid: string, group: StoredGroup): Promise<void> {
  await kv.set(conversationKey(bareJid, group.thread), group);
}

/** Removes a thread from the directory (it turned out not to be a group). */
export async function deleteGroup(kv: Deno.Kv, bareJid: string, thread: string): Promise<void> {
  await kv.delete(conversationKey(bareJid, thread));
}

/** Every stored group of a user; entries of a foreign shape are skipped. */
export async function listGroups(kv: Deno.Kv, bareJid: string): Promise<StoredGroup[]> {
  const groups: StoredGroup[] = [];
  for await (const entry of kv.list<StoredGroup>({ prefix: conversationsPrefix(bareJid) })) {
    const value = entry.value as Partial<StoredGroup> | null;
    if (typeof value?.thread === "string" && typeof value.updatedAt === "number") {
      groups.push(value as StoredGroup);
    }
  }
  return groups;
}
