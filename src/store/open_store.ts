/**
 * Opens the gateway's Deno KV database from `gateway.data`.
 *
 * A local path is the embedded default: the parent folder is created (0700) and the database
 * files are made 0600, because they hold Messenger session cookies. An `http(s)://` URL opens a
 * remote KV Connect database (set DENO_KV_ACCESS_TOKEN), the path to several gateway hosts.
 *
 * @module
 */

import { dirname } from "node:path";
import { storeLog } from "../log.ts";

/** The store could not be opened; the message names the location and the reason. */
export class StoreOpenError extends Error {
  override name = "StoreOpenError";
}

/** True for a KV Connect location rather than a local file. */
export function isRemoteLocation(data: string): boolean {
  return /^https?:\/\//i.test(data);
}

/** Opens (creating if needed) the KV database at `data`. */
export async function openKv(data: string): Promise<Deno.Kv> {
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
