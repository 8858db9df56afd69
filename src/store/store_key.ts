/**
 * Where the admin's store key comes from: the environment variable
 * `MESSENGER_GATEWAY_STORE_KEY`, or else the systemd credential `store-key`
 * (`LoadCredential=store-key:/etc/messenger-gateway/store-key`, read from
 * `$CREDENTIALS_DIRECTORY/store-key`). Either holds 32 random bytes in base64, e.g. from
 * `openssl rand -base64 32`. No key: the secrets are stored in clear, as before.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { join } from "node:path";
import { STORE_KEY_BYTES } from "./record_cipher.ts";

/** The environment variable holding the store key. */
export const STORE_KEY_ENV = "MESSENGER_GATEWAY_STORE_KEY";
/** The name of the systemd credential holding the store key. */
export const STORE_KEY_CREDENTIAL = "store-key";

/** The key is unusable; the message names where it came from, never its value. */
export class StoreKeyError extends Error {
  override name = "StoreKeyError";
}

/** The key and where it came from (for messages). */
export interface StoreKey {
  bytes: Uint8Array;
  source: string;
}

/** Reads the store key, if the admin gave one; throws {@link StoreKeyError} when malformed. */
export async function loadStoreKey(
  env: (name: string) => string | undefined = (name) => Deno.env.get(name),
): Promise<StoreKey | undefined> {
  const fromEnv = env(STORE_KEY_ENV);
  if (fromEnv !== undefined && fromEnv.trim() !== "") {
    return { bytes: decode(fromEnv, STORE_KEY_ENV), source: STORE_KEY_ENV };
  }
  const directory = env("CREDENTIALS_DIRECTORY");
  if (directory === undefined || directory === "") return undefined;
  const file = join(directory, STORE_KEY_CREDENTIAL);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new StoreKeyError(
      `Cannot read the store key credential ${file}: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  return { bytes: decode(text, `the credential ${file}`), source: `the credential ${file}` };
}

function decode(text: string, source: string): Uint8Array {
  const trimmed = text.trim();
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)
    ? new Uint8Array(Buffer.from(trimmed, "base64"))
    : new Uint8Array();
  if (bytes.byteLength !== STORE_KEY_BYTES) {
    throw new StoreKeyError(
      `The store key in ${source} must be ${STORE_KEY_BYTES} random bytes in base64 (44 ` +
        `characters, e.g. from "openssl rand -base64 32")`,
    );
  }
  return bytes;
}
