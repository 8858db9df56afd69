/**
 * Registered users: the typed functions the gateway uses instead of raw KV calls.
 *
 * @module
 */

import { deleteKeys } from "./delete_keys.ts";
import { REGISTRATIONS, userKey, userPrefix } from "./keys.ts";

/** What the gateway stores about one registered XMPP user. */
export interface UserRecord {
  /** Bare JID, lower-cased. */
  jid: string;
  /** When they registered (ms since the epoch). */
  registeredAt: number;
  /** Opaque Messenger login state (cookies); never logged. */
  messengerSession?: string;
  /** Email and password, only when the user opted in to saving them (re-login without asking). */
  savedLogin?: { email: string; password: string };
  /** User preferences, by name. */
  preferences: Record<string, boolean | string | number>;
}

/** Reads a user's record; `null` when they are not registered. */
export async function getUser(kv: Deno.Kv, bareJid: string): Promise<UserRecord | null> {
  return (await kv.get<UserRecord>(userKey(bareJid))).value;
}

/** Creates or replaces a user's record. */
export async function putUser(kv: Deno.Kv, record: UserRecord): Promise<void> {
  await kv.set(userKey(record.jid), record);
}

/**
 * Changes a registered user's record atomically: `change` gets the current record and returns
 * the new one, and is run again if another write got in between, so a preference change and a
 * cookie refresh at the same moment cannot undo each other. Returns the stored record, or `null`
 * (and writes nothing) when the user is not registered.
 */
export async function updateUser(
  kv: Deno.Kv,
  bareJid: string,
  change: (record: UserRecord) => UserRecord,
): Promise<UserRecord | null> {
  const key = userKey(bareJid);
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await kv.get<UserRecord>(key);
    if (current.value === null) return null;
    const next = change(current.value);
    const result = await kv.atomic().check(current).set(key, next).commit();
    if (result.ok) return next;
  }
  throw new Error(`Could not update the record of ${bareJid}: too many concurrent writes`);
}

/** Lists every registered user. */
export async function listUsers(kv: Deno.Kv): Promise<UserRecord[]> {
  const users: UserRecord[] = [];
  for await (const entry of kv.list<UserRecord>({ prefix: REGISTRATIONS })) {
    users.push(entry.value);
  }
  return users;
}

/**
 * Deletes a user's registration and everything stored for them (atomic batches within KV's
 * limits). The registration goes last, so a run cut short leaves the user listed and a retry
 * finishes the job instead of orphaning their data.
 */
export async function deleteUserData(kv: Deno.Kv, bareJid: string): Promise<number> {
  let deleted = 0;
  let keys: Deno.KvKey[] = [];
  for await (const entry of kv.list({ prefix: userPrefix(bareJid) })) {
    keys.push(entry.key);
    if (keys.length === 500) {
      deleted += await deleteKeys(kv, keys);
      keys = [];
    }
  }
  keys.push(userKey(bareJid));
  return deleted + await deleteKeys(kv, keys);
}
