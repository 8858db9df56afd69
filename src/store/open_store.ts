/**
 * Opens the gateway's Deno KV database from `gateway.data`.
 *
 * A local path is the embedded default: the parent folder is created (0700) and the database
 * files are made 0600, because they hold Messenger session cookies. An `http(s)://` URL opens a
 * remote KV Connect database (set DENO_KV_ACCESS_TOKEN), the path to several gateway hosts.
 *
 * When the admin gives a store key (store_key.ts), the secrets in the store are encrypted with it
 * (secrets_at_rest.ts); a missing or wrong key for an encrypted store is a {@link StoreOpenError}.
 *
 * @module
 */

import { dirname } from "node:path";
import { storeLog } from "../log.ts";
import { eraseFreedSpace, prepareSecretsAtRest } from "./secrets_at_rest.ts";
import { loadStoreKey, type StoreKey } from "./store_key.ts";

/** The store could not be opened; the message names the location and the reason. */
export class StoreOpenError extends Error {
  override name = "StoreOpenError";
}

/** True for a KV Connect location rather than a local file. */
export function isRemoteLocation(data: string): boolean {
  return /^https?:\/\//i.test(data);
}

/** Where {@link openKv} reads the environment (the store key); tests pass their own. */
export interface OpenKvOptions {
  env?: (name: string) => string | undefined;
}

/**
 * Opens (creating if needed) the KV database at `data`, with the store key from the environment
 * when there is one. Throws {@link StoreOpenError}.
 */
export async function openKv(data: string, options: OpenKvOptions = {}): Promise<Deno.Kv> {
  let key: StoreKey | undefined;
  try {
    key = await loadStoreKey(options.env);
  } catch (error) {
    throw new StoreOpenError(reason(error));
  }
  const where = isRemoteLocation(data) ? redactUrl(data) : data;
  let kv = await openDatabase(data);
  try {
    const sealed = await prepareSecretsAtRest(kv, where, key);
    if (sealed > 0 && !isRemoteLocation(data) && data !== ":memory:") {
      // The clear values just replaced linger in the file's free space: rebuild the file.
      kv.close();
      eraseFreedSpace(data);
      kv = await openDatabase(data);
      await prepareSecretsAtRest(kv, where, key);
    }
  } catch (error) {
    try {
      kv.close();
    } catch { /* closed already */ }
    throw new StoreOpenError(reason(error));
  }
  return kv;
}

async function openDatabase(data: string): Promise<Deno.Kv> {
  if (isRemoteLocation(data)) {
    if (!Deno.env.get("DENO_KV_ACCESS_TOKEN")) {
      throw new StoreOpenError(
        `Cannot open the remote store ${redactUrl(data)}: set DENO_KV_ACCESS_TOKEN`,
      );
    }
    try {
      const kv = await Deno.openKv(data);
      storeLog.info("Opened remote store {url}", { url: redactUrl(data) });
      return kv;
    } catch (error) {
      throw new StoreOpenError(`Cannot open the remote store ${redactUrl(data)}: ${reason(error)}`);
    }
  }
  try {
    await Deno.mkdir(dirname(data), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new StoreOpenError(`Cannot create the folder of the store ${data}: ${reason(error)}`);
  }
  let kv: Deno.Kv;
  try {
    kv = await Deno.openKv(data);
  } catch (error) {
    throw new StoreOpenError(`Cannot open the store ${data}: ${reason(error)}`);
  }
  await restrictPermissions(data);
  storeLog.info("Opened store {path}", { path: data });
  return kv;
}

async function restrictPermissions(path: string): Promise<void> {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      await Deno.chmod(file, 0o600);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        storeLog.warn("Could not make {file} private: {error}", { file, error: reason(error) });
      }
    }
  }
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return "(invalid URL)";
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
