/**
 * Pending Messenger message requests the gateway saw arriving, per user.
 *
 * Why stored: fca can only list the inbox, so a request noticed before a restart would otherwise
 * vanish from the `message-requests` command (and its sender could no longer be accepted or
 * declined without answering). They live under the user's prefix, so unregistering removes them.
 *
 * @module
 */

import { deleteKeys } from "./delete_keys.ts";
import { messageRequestKey, messageRequestsPrefix } from "./keys.ts";

/** A stored pending request (plain values: the gateway turns them back into its own types). */
export interface StoredMessageRequest {
  thread: string;
  name: string;
  isGroup: boolean;
  preview?: string;
  lastActivity?: number;
}

/** Stores (or replaces) one pending request. */
export async function putMessageRequest(
  kv: Deno.Kv,
  bareJid: string,
  request: StoredMessageRequest,
): Promise<void> {
  await kv.set(messageRequestKey(bareJid, request.thread), request);
}

/** Deletes the requests of these conversations (answered). */
export async function deleteMessageRequests(
  kv: Deno.Kv,
  bareJid: string,
  threads: readonly string[],
): Promise<void> {
  await deleteKeys(kv, threads.map((thread) => messageRequestKey(bareJid, thread)));
}

/** Every stored pending request of a user. */
export async function listMessageRequests(
  kv: Deno.Kv,
  bareJid: string,
): Promise<StoredMessageRequest[]> {
  const requests: StoredMessageRequest[] = [];
  for await (
    const entry of kv.list<StoredMessageRequest>({ prefix: messageRequestsPrefix(bareJid) })
  ) {
    requests.push(entry.value);
  }
  return requests;
}
