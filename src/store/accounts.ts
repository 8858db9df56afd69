/**
 * Which Messenger account a registered user is (id and name), remembered across restarts.
 *
 * Why stored: rooms show the user as one of the group's members, by their Messenger name; right
 * after a restart, before Messenger is connected again, a client rejoining a room must still get
 * the same nick and the same member list. Lives under the user's prefix: unregistering deletes it.
 *
 * @module
 */

import { accountKey } from "./keys.ts";

/** The Messenger account of a user. */
export interface StoredAccount {
  id: string;
  name?: string;
}

/** Remembers the user's Messenger account. */
export async function putAccount(
  kv: Deno.Kv,
  bareJid: string,
  account: StoredAccount,
): Promise<void> {
  await kv.set(accountKey(bareJid), account);
}

/** The user's Messenger account, if known. */
export async function getAccount(kv: Deno.Kv, bareJid: string): Promise<StoredAccount | null> {
  const value = (await kv.get<StoredAccount>(accountKey(bareJid))).value;
  return typeof value?.id === "string" ? value : null;
}
