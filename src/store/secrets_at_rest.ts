/**
 * What happens to the store's secrets when it opens: with the admin's key, the key is checked
 * against the one the store was encrypted with, and records still in clear are sealed; without
 * a key, a store whose secrets are encrypted is refused. Either refusal is a clear start-up error
 * (exit code 4), never a silent logout of every user.
 *
 * The check is a known text sealed with the key (`["meta", "store-key-check"]`), written before
 * the first record is sealed: once it exists, every start needs that key.
 *
 * Sealing a record rewrites it, but SQLite keeps the bytes it replaced in the file's free space;
 * so after sealing, a local store file is compacted ({@link eraseFreedSpace}) and the cookies
 * that were in clear are gone from the file, not only from the records.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { storeLog } from "../log.ts";
import { metaKey } from "./keys.ts";
import { isSealed, RecordCipher, type SealedValue, useCipher } from "./record_cipher.ts";
import type { StoreKey } from "./store_key.ts";
import { STORE_KEY_CREDENTIAL, STORE_KEY_ENV } from "./store_key.ts";
import { hasSealedRecords, sealClearRecords } from "./user_records.ts";

const CHECK_KEY = metaKey("store-key-check");
const CHECK_TEXT = "messenger-gateway store key";
const CHECK_CONTEXT = "messenger-gateway:store-key-check";

/** The store's secrets cannot be used with the key given (or the lack of one). */
export class StoreKeyMismatchError extends Error {
  override name = "StoreKeyMismatchError";
}

/**
 * Prepares `kv` (at `where`, for messages) for `key`: on success the store seals its secrets
 * with it from now on. Returns how many records were sealed now (they were in clear). Throws
 * {@link StoreKeyMismatchError}.
 */
export async function prepareSecretsAtRest(
  kv: Deno.Kv,
  where: string,
  key: StoreKey | undefined,
): Promise<number> {
  const check = (await kv.get<SealedValue>(CHECK_KEY)).value;
  if (key === undefined) {
    if (isSealed(check) || await hasSealedRecords(kv)) {
      throw new StoreKeyMismatchError(
        `The store ${where} keeps its secrets encrypted, but no key was given: set ` +
          `${STORE_KEY_ENV} or the systemd credential ${STORE_KEY_CREDENTIAL} to the key it was ` +
          "encrypted with",
      );
    }
    return 0;
  }
  const cipher = await RecordCipher.fromKey(key.bytes);
  if (isSealed(check)) {
    const opened = await cipher.open(check, CHECK_CONTEXT).catch(() => undefined);
    if (opened !== CHECK_TEXT) {
      throw new StoreKeyMismatchError(
        `The store key from ${key.source} does not open the store ${where}: its secrets were ` +
          "encrypted with another key",
      );
    }
  } else {
    await kv.set(CHECK_KEY, await cipher.seal(CHECK_TEXT, CHECK_CONTEXT));
  }
  useCipher(kv, cipher);
  const sealed = await sealClearRecords(kv);
  if (sealed > 0) {
    storeLog.info("Encrypted the secrets of {count} users with the store key", { count: sealed });
  }
  return sealed;
}

/**
 * Rebuilds a closed local store file (SQLite `VACUUM`), so that no byte of what was replaced
 * (the secrets before they were sealed) stays in its free space. Logs and goes on when it cannot:
 * the records themselves are sealed either way.
 */
export function eraseFreedSpace(path: string): void {
  try {
    const db = new DatabaseSync(path);
    try {
      db.exec("VACUUM");
    } finally {
      db.close();
    }
  } catch (error) {
    storeLog.warn(
      "Could not compact {path}: copies of the secrets from before encryption may remain in its " +
        "free space until SQLite reuses it ({error})",
      { path, error: error instanceof Error ? error.message : String(error) },
    );
  }
}
