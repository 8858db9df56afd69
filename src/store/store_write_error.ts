/**
 * The store could not save something a user asked for (a full disk, a file system gone
 * read-only, a KV Connect outage). What the user asked is then not done, and they are told so in
 * a sentence; the cause (which may name paths) is only logged, for the administrator.
 *
 * @module
 */

import { storeLog } from "../log.ts";

/** Saving `what` failed; the message is the sentence for the user. */
export class StoreWriteError extends Error {
  override name = "StoreWriteError";
  constructor(what: string, cause: unknown) {
    super(
      `The gateway could not save ${what}: its store cannot be written right now (the ` +
        "administrator can see why in the log). Nothing was changed; try again later",
      { cause },
    );
  }
}

/**
 * Runs a store write for `what` (e.g. "your registration"); a failure is logged with its cause
 * and thrown as a {@link StoreWriteError}.
 */
export async function storeWrite<T>(what: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    storeLog.error("Could not save {what}: {error}", {
      what,
      error: error instanceof Error ? error.message : String(error),
    });
    throw new StoreWriteError(what, error);
  }
}
