/**
 * Message requests: conversations started by people who are not the user's Messenger friends.
 *
 * Their messages reach the user like any other, from the sender's contact JID; the first one of
 * a pending request is preceded by a chat notice from the gateway saying what it is and how to
 * answer it (the `message-requests` command). Whether a conversation is a request is asked of
 * Messenger once per conversation (friends are never asked about), in the conversation's queue,
 * so the notice always comes before the message.
 *
 * Requests seen arriving are remembered with a preview (in KV, so they survive restarts), because
 * not every Messenger connection can list pending requests (or always: the folder may fail alone).
 *
 * @module
 */

import { gatewayLog } from "../log.ts";
import type { RemoteEvent } from "../messenger/events.ts";
import { asThreadId, asUserId, type ThreadId, type UserId } from "../messenger/ids.ts";
import {
  capability,
  hasCapability,
  type MessengerSession,
  type ThreadInfo,
} from "../messenger/session.ts";
import {
  deleteMessageRequests,
  listMessageRequests,
  putMessageRequest,
  type StoredMessageRequest,
} from "../store/message_requests.ts";
import { explainFailure } from "./login_failure.ts";
import type { ThreadQueues } from "./thread_queue.ts";
import type { UserSession } from "./user_session.ts";
import type { XmppPort } from "./xmpp_port.ts";

/** A pending message request as the user is shown it. */
export interface PendingRequest {
  thread: ThreadId;
  /** Who wrote (or the group's name). */
  name: string;
  isGroup: boolean;
  /** The last message's text, when known. */
  preview?: string;
  /** Time of the last message (ms), when known. */
  lastActivity?: number;
}

/** How many recent conversations are looked through for pending requests. */
export const REQUEST_SCAN_LIMIT = 100;

/** Conversations remembered per user as already checked (are they requests?). */
export const MAX_CHECKED_PER_USER = 10_000;

/** At most this many previews are fetched from history per listing. */
const MAX_PREVIEW_FETCHES = 10;

/** What the session's user is, as far as this module is concerned. */
export type RequestSession = Pick<UserSession, "jid" | "contact" | "messenger">;

/** Options of {@link MessageRequests}. */
export interface MessageRequestsOptions {
  /** Where pending requests seen arriving are kept across restarts. */
  kv: Deno.Kv;
  queues: ThreadQueues;
  xmpp: XmppPort;
  /** The JID of a contact (named in the notice). */
  contactJid: (id: UserId) => string;
}

/** Message requests of every user: notices, and what was seen of pending requests. */
export class MessageRequests {
  #options: MessageRequestsOptions;
  /** Per user, the conversations already asked about (requests or not). */
  #checked = new Map<string, Set<ThreadId>>();
  /** Per user, pending requests seen arriving (loaded from KV on first use). */
  #seen = new Map<string, Map<ThreadId, PendingRequest>>();
  #loading = new Map<string, Promise<Map<ThreadId, PendingRequest>>>();

  constructor(options: MessageRequestsOptions) {
    this.#options = options;
  }

  /**
   * Looks at one Messenger event of `session`'s user, before the message flow does: the first
   * message of a conversation with someone who is not a friend queues a check (and, for a
   * request, the notice) ahead of the message. Never throws.
   */
  observe(session: RequestSession, event: RemoteEvent): void {
    if (event.type !== "message" || event.conversation.kind === "group" || event.fromSelf) return;
    const thread = event.conversation.thread;
    if (session.contact(asUserId(thread)) !== undefined) return;
    const user = session.jid;
    const pending = this.#seen.get(user)?.get(thread);
    if (pending) {
      this.#update(user, pending, event.text, event.timestamp);
      return;
    }
    const checked = this.#checkedOf(user);
    if (checked.has(thread)) return;
    checked.add(thread);
    // Bounded (strangers' conversations come from outside): the oldest is asked about again.
    if (checked.size > MAX_CHECKED_PER_USER) checked.delete(checked.values().next().value!);
    this.#options.queues.post(user, thread, async () => {
      try {
        await this.#check(session, thread, event.text, event.timestamp);
      } catch (error) {
        gatewayLog.warn("Checking for a message request of {jid} failed: {error}", {
          jid: user,
          error,
        });
      }
    });
  }

  /**
   * The user's pending requests, newest first: the ones Messenger lists (when it can) and the
   * ones seen arriving that Messenger does not list as answered. When Messenger fails to list
   * them, the ones seen arriving are still given; with none seen, the MessengerError is thrown.
   */
  async list(user: string, messenger: MessengerSession): Promise<PendingRequest[]> {
    const seen = await this.#seenOf(user);
    const found = new Map<ThreadId, PendingRequest>();
    let threads: ThreadInfo[] = [];
    if (hasCapability(messenger, "getThreads")) {
      try {
        threads = await capability(messenger, "getThreads")(REQUEST_SCAN_LIMIT);
      } catch (error) {
        if (seen.size === 0) throw error;
        gatewayLog.info("Could not list the conversations of {jid}: {reason}", {
          jid: user,
          reason: explainFailure(error).sentence,
        });
      }
    }
    for (const thread of threads) {
      if (thread.isMessageRequest) found.set(thread.id, fromThread(thread, seen.get(thread.id)));
      else if (thread.isMessageRequest === false && seen.delete(thread.id)) {
        await this.#forget(user, [thread.id]);
      }
    }
    for (const [thread, request] of seen) if (!found.has(thread)) found.set(thread, request);
    const requests = [...found.values()].sort((a, b) =>
      (b.lastActivity ?? 0) - (a.lastActivity ?? 0)
    );
    await this.#fillPreviews(messenger, requests);
    return requests;
  }

  /** The user answered these requests: forgotten, and a later message is checked again. */
  async answered(user: string, threads: ThreadId[]): Promise<void> {
    for (const thread of threads) {
      this.#seen.get(user)?.delete(thread);
      this.#checked.get(user)?.delete(thread);
    }
    await this.#forget(user, threads);
  }

  /** Forgets everything about a user (unregistered: their stored data is deleted with them). */
  forgetUser(user: string): void {
    this.#seen.delete(user);
    this.#loading.delete(user);
    this.#checked.delete(user);
  }

  /** The user's pending requests seen arriving, loaded from KV once. */
  #seenOf(user: string): Promise<Map<ThreadId, PendingRequest>> {
    let loading = this.#loading.get(user);
    if (!loading) {
      loading = listMessageRequests(this.#options.kv, user).then((stored) => {
        const seen = new Map(stored.map((request) => [asThreadId(request.thread), {
          ...request,
          thread: asThreadId(request.thread),
        }]));
        if (this.#loading.get(user) === loading) this.#seen.set(user, seen);
        return seen;
      });
      loading.catch(() => this.#loading.delete(user));
      this.#loading.set(user, loading);
    }
    return loading;
  }

  /** A new message of a known request: newer preview and time, stored. Never throws. */
  #update(user: string, request: PendingRequest, text: string, timestamp: number): void {
    if (text !== "") request.preview = text;
    request.lastActivity = timestamp;
    void this.#store(user, request);
  }

  async #store(user: string, request: PendingRequest): Promise<void> {
    // Unregistered meanwhile (forgetUser): their data is being deleted, do not write it back.
    if (!this.#loading.has(user)) return;
    try {
      await putMessageRequest(this.#options.kv, user, stored(request));
    } catch (error) {
      gatewayLog.warn("Could not store a message request of {jid}: {error}", { jid: user, error });
    }
  }

  async #forget(user: string, threads: ThreadId[]): Promise<void> {
    try {
      await deleteMessageRequests(this.#options.kv, user, threads);
    } catch (error) {
      gatewayLog.warn("Could not delete message requests of {jid}: {error}", { jid: user, error });
    }
  }

  async #check(
    session: RequestSession,
    thread: ThreadId,
    text: string,
    timestamp: number,
  ): Promise<void> {
    const seen = await this.#seenOf(session.jid);
    const known = seen.get(thread);
    if (known) {
      // Noticed before a restart: the user was told already.
      this.#update(session.jid, known, text, timestamp);
      return;
    }
    const messenger = session.messenger;
    if (!messenger) {
      // Disconnected meanwhile: the next message of this conversation asks again.
      this.#checked.get(session.jid)?.delete(thread);
      return;
    }
    if (!hasCapability(messenger, "getThreadInfo")) return;
    let info: ThreadInfo;
    try {
      info = await capability(messenger, "getThreadInfo")(thread);
    } catch (error) {
      gatewayLog.debug("Could not tell whether {thread} of {jid} is a message request: {reason}", {
        thread,
        jid: session.jid,
        reason: explainFailure(error).sentence,
      });
      return;
    }
    if (!info.isMessageRequest) return;
    const name = info.name ?? await nameOf(messenger, asUserId(thread)) ?? thread;
    const request: PendingRequest = { thread, name, isGroup: false, lastActivity: timestamp };
    if (text !== "") request.preview = text;
    seen.set(thread, request);
    await this.#store(session.jid, request);
    await this.#options.xmpp.gatewayMessage(
      session.jid,
      requestNotice(name, this.#options.contactJid(asUserId(thread))),
    );
  }

  async #fillPreviews(messenger: MessengerSession, requests: PendingRequest[]): Promise<void> {
    if (!hasCapability(messenger, "getHistory")) return;
    const getHistory = capability(messenger, "getHistory");
    const missing = requests.filter((request) => request.preview === undefined);
    for (const request of missing.slice(0, MAX_PREVIEW_FETCHES)) {
      try {
        const last = (await getHistory(request.thread, 1)).at(-1);
        if (last && last.text !== "") request.preview = last.text;
      } catch (error) {
        gatewayLog.debug("No preview for request {thread}: {reason}", {
          thread: request.thread,
          reason: explainFailure(error).sentence,
        });
      }
    }
  }

  #checkedOf(user: string): Set<ThreadId> {
    let checked = this.#checked.get(user);
    if (!checked) {
      checked = new Set();
      this.#checked.set(user, checked);
    }
    return checked;
  }
}

function stored(request: PendingRequest): StoredMessageRequest {
  const record: StoredMessageRequest = {
    thread: request.thread,
    name: request.name,
    isGroup: request.isGroup,
  };
  if (request.preview !== undefined) record.preview = request.preview;
  if (request.lastActivity !== undefined) record.lastActivity = request.lastActivity;
  return record;
}

/** The notice shown before the first message of a pending request. */
export function requestNotice(name: string, jid: string): string {
  return `${name} (${jid}) is not your Messenger friend: their messages are a message request. ` +
    "Answering accepts it. To accept or decline without answering, send 'message-requests' " +
    "to me (or use the Message requests command of your client).";
}

function fromThread(thread: ThreadInfo, seen: PendingRequest | undefined): PendingRequest {
  const request: PendingRequest = {
    thread: thread.id,
    name: thread.name ?? seen?.name ?? thread.id,
    isGroup: thread.isGroup,
  };
  const lastActivity = thread.lastActivity ?? seen?.lastActivity;
  if (lastActivity !== undefined) request.lastActivity = lastActivity;
  if (seen?.preview !== undefined) request.preview = seen.preview;
  return request;
}

async function nameOf(messenger: MessengerSession, user: UserId): Promise<string | undefined> {
  if (!hasCapability(messenger, "getUserInfo")) return undefined;
  try {
    return (await capability(messenger, "getUserInfo")([user]))[0]?.name;
  } catch {
    return undefined;
  }
}
