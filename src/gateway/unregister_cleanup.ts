/**
 * What the gateway core forgets when a user unregisters, beside their stored data.
 *
 * Why in one place: the order matters. Waiting work is dropped, work already running (a photo
 * being re-uploaded) is let finish, and batched writes are flushed — all before the gateway
 * deletes the user's data, so nothing is written back afterwards. Then per-conversation memory
 * goes, so a user who registers again starts clean.
 *
 * @module
 */

import { gatewayLog } from "../log.ts";
import type { MessageIdStore } from "../store/message_ids.ts";
import type { WriteBatcher } from "../store/write_batcher.ts";
import type { Gateway } from "./gateway.ts";
import type { IncomingEvents } from "./incoming_events.ts";
import type { MessageRequests } from "./message_requests.ts";
import type { OutgoingMessages } from "./outgoing_messages.ts";
import type { ThreadQueues } from "./thread_queue.ts";

/** How long unregistering waits for the user's running deliveries by default (ms). */
export const UNREGISTER_DRAIN_MS = 30_000;

/** The parts holding per-user state. */
export interface UnregisterCleanupParts {
  queues: ThreadQueues;
  batcher: WriteBatcher;
  messageIds: MessageIdStore;
  messageRequests: MessageRequests;
  incoming: IncomingEvents;
  outgoing: OutgoingMessages;
  /** Bound on waiting for running work (ms); default {@link UNREGISTER_DRAIN_MS}. */
  drainMs?: number;
}

/** Makes `gateway` run the cleanup on every unregistration path. */
export function cleanUpOnUnregister(gateway: Gateway, parts: UnregisterCleanupParts): void {
  gateway.onUnregister(async (jid) => {
    parts.queues.cancelUser(jid, "unregistered");
    if (!(await parts.queues.userIdle(jid, parts.drainMs ?? UNREGISTER_DRAIN_MS))) {
      gatewayLog.warn("Work for {jid} was still running when their data was deleted", { jid });
    }
    await parts.batcher.flush();
    parts.messageIds.forgetUser(jid);
    parts.messageRequests.forgetUser(jid);
    parts.incoming.forgetUser(jid);
    parts.outgoing.forgetUser(jid);
  });
}
