/**
 * Registered users: the typed functions the gateway uses instead of raw KV calls.
 *
 * A record's secrets (the Messenger cookies, a saved password) are {@link Secret}s in memory and,
 * when the store was opened with the admin's key, sealed with it on disk (record_cipher.ts); the
 * callers never see the difference. Records written before the key was given are read as they
 * are and sealed by {@link sealClearRecords} at start.
 *
 * @module
 */

import { Secret } from "../secret.ts";
import { deleteKeys } from "./delete_keys.ts";
import { REGISTRATIONS, userKey, userPrefix } from "./keys.ts";
import { cipherOf, isSealed, type SealedValue } from "./record_cipher.ts";

/** What the gateway stores about one registered XMPP user. */
export interface UserRecord {
  /** Bare JID, lower-cased. */
  jid: string;
  /** When they registered (ms since the epoch). */
  registeredAt: number;
  /** Opaque Messenger login state (cookies). */
  messengerSession?: Secret;
  /** Email and password, only when the user opted in to saving them (re-login without asking). */
  savedLogin?: { email: string; password: Secret };
  /** User preferences, by name. */
  preferences: Record<string, boolean | string | number>;
}

/** A record as the store holds it: secrets sealed, or in clear without a key. */
interface StoredRecord {
  jid: string;
  registeredAt: number;
  messengerSession?: string | SealedValue;
  savedLogin?: { email: string; password: string | SealedValue };
  preferences: Record<string, boolean | string | number>;
}

/** The store holds sealed secrets but was opened without a key (or with another one). */
export class StoreSecretsError extends Error {
  override name = "StoreSecretsError";
}

/** Reads a user's record; `null` when they are not registered. */
export async function getUser(kv: Deno.Kv, bareJid: string): Promise<UserRecord | null> {
  const stored = (await kv.get<StoredRecord>(userKey(bareJid))).value;
  return stored === null ? null : await fromStored(kv, stored);
}

/** Creates or replaces a user's record. */
export async function putUser(kv: Deno.Kv, record: UserRecord): Promise<void> {
  await kv.set(userKey(record.jid), await toStored(kv, record));
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
    const current = await kv.get<StoredRecord>(key);
    if (current.value === null) return null;
    const next = change(await fromStored(kv, current.value));
    const stored = await toStored(kv, next);
    const result = await kv.atomic().check(current).set(key, stored).commit();
    if (result.ok) return next;
  }
  throw new Error(`Could not update the record of ${bareJid}: too many concurrent writes`);
}

/** Lists every registered user. */
export async function listUsers(kv: Deno.Kv): Promise<UserRecord[]> {
  const users: UserRecord[] = [];
  for await (const entry of kv.list<StoredRecord>({ prefix: REGISTRATIONS })) {
    users.push(await fromStored(kv, entry.value));
  }
  return users;
}

/**
 * Seals the secrets of every record still holding them in clear (written before the admin gave
 * a key); returns how many records changed. Each record is rewritten atomically, so a stop half
 * way leaves every record readable and a later start finishes the job.
 */
export async function sealClearRecords(kv: Deno.Kv): Promise<number> {
  if (cipherOf(kv) === undefined) return 0;
  let sealed = 0;
  for await (const entry of kv.list<StoredRecord>({ prefix: REGISTRATIONS })) {
    if (!hasClearSecret(entry.value)) continue;
    const stored = await toStored(kv, await fromStored(kv, entry.value));
    const result = await kv.atomic().check(entry).set(entry.key, stored).commit();
    if (result.ok) sealed++;
    else if (await sealRecordAgain(kv, entry.key)) sealed++;
  }
  return sealed;
}

/** True when some record holds a sealed secret. */
export async function hasSealedRecords(kv: Deno.Kv): Promise<boolean> {
  for await (const entry of kv.list<StoredRecord>({ prefix: REGISTRATIONS })) {
    const { messengerSession, savedLogin } = entry.value;
    if (isSealed(messengerSession) || isSealed(savedLogin?.password)) return true;
  }
  return false;
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

async function sealRecordAgain(kv: Deno.Kv, key: Deno.KvKey): Promise<boolean> {
  const jid = key[1];
  if (typeof jid !== "string") return false;
  // Changed meanwhile (a cookie refresh): rewriting it through updateUser seals it.
  return (await updateUser(kv, jid, (record) => record)) !== null;
}

function hasClearSecret(record: StoredRecord): boolean {
  return typeof record.messengerSession === "string" ||
    typeof record.savedLogin?.password === "string";
}

/** Where a secret belongs, bound into its sealing so it cannot be moved to another record. */
function context(jid: string, field: "cookies" | "password"): string {
  return `messenger-gateway:user:${jid}:${field}`;
}

async function fromStored(kv: Deno.Kv, stored: StoredRecord): Promise<UserRecord> {
  const { messengerSession, savedLogin, ...rest } = stored;
  const record: UserRecord = { ...rest };
  if (messengerSession !== undefined) {
    record.messengerSession = await reveal(kv, messengerSession, context(stored.jid, "cookies"));
  }
  if (savedLogin !== undefined) {
    record.savedLogin = {
      email: savedLogin.email,
      password: await reveal(kv, savedLogin.password, context(stored.jid, "password")),
    };
  }
  return record;
}

async function toStored(kv: Deno.Kv, record: UserRecord): Promise<StoredRecord> {
  const { messengerSession, savedLogin, ...rest } = record;
  const stored: StoredRecord = { ...rest };
  const cipher = cipherOf(kv);
  const keep = (secret: Secret, where: string) =>
    cipher ? cipher.seal(secret.reveal(), where) : Promise.resolve(secret.reveal());
  if (messengerSession !== undefined) {
    stored.messengerSession = await keep(messengerSession, context(record.jid, "cookies"));
  }
  if (savedLogin !== undefined) {
    stored.savedLogin = {
      email: savedLogin.email,
      password: await keep(savedLogin.password, context(record.jid, "password")),
    };
  }
  return stored;
}

async function reveal(kv: Deno.Kv, value: string | SealedValue, where: string): Promise<Secret> {
  if (typeof value === "string") return new Secret(value);
  const cipher = cipherOf(kv);
  if (cipher === undefined) {
    throw new StoreSecretsError("A record's secrets are encrypted, but the store has no key");
  }
  return new Secret(await cipher.open(value, where));
}
