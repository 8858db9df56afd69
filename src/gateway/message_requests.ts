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
import type { Conversation } from "./conversation.ts";
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

/** At most this many previews are fetched from history per listing. */
const MAX_PREVIEW_FETCHES = 10;

/** What this module needs of a user's session. */
export type RequestSession = Pick<
  UserSession,
  "jid" | "contact" | "messenger" | "requests" | "conversations"
>;

/** Options of {@link MessageRequests}. */
export interface MessageRequestsOptions {
  xmpp: XmppPort;
}

/**
 * One user's pending requests seen arriving, kept by their session (loaded from KV on first use,
 * and forgotten with the session).
 */
export class RequestBook {
  readonly #kv: Deno.Kv;
  readonly #jid: string;
  #seen: Map<ThreadId, PendingRequest> | undefined;
  #loading: Promise<Map<ThreadId, PendingRequest>> | undefined;
  #closed = false;

  constructor(kv: Deno.Kv, jid: string) {
    this.#kv = kv;
    this.#jid = jid;
  }

  /** The requests seen arriving, loaded from KV once. */
  seen(): Promise<Map<ThreadId, PendingRequest>> {
    if (this.#seen) return Promise.resolve(this.#seen);
    this.#loading ??= listMessageRequests(this.#kv, this.#jid).then((stored) => {
      this.#seen = new Map(stored.map((request) => [asThreadId(request.thread), {
        ...request,
        thread: asThreadId(request.thread),
      }]));
      return this.#seen;
    }).catch((error) => {
      this.#loading = undefined;
      throw error;
    });
    return this.#loading;
  }

  /** The request of a thread if it was seen (and loaded) already. */
  known(thread: ThreadId): PendingRequest | undefined {
    return this.#seen?.get(thread);
  }

  /** A new message of a known request: newer preview and time, stored. Never throws. */
  update(request: PendingRequest, text: string, timestamp: number): void {
    if (text !== "") request.preview = text;
    request.lastActivity = timestamp;
    void this.store(request);
  }

  /** Stores a request (not after the user unregistered). Never throws. */
  async store(request: PendingRequest): Promise<void> {
    if (this.#closed) return;
    try {
      await putMessageRequest(this.#kv, this.#jid, stored(request));
    } catch (error) {
      gatewayLog.warn("Could not store a message request of {jid}: {error}", {
        jid: this.#jid,
        error,
      });
    }
  }

  /** Forgets answered requests, in memory and in KV. Never throws. */
  async forget(threads: ThreadId[]): Promise<void> {
    for (const thread of threads) this.#seen?.delete(thread);
    if (this.#closed) return;
    try {
      await deleteMessageRequests(this.#kv, this.#jid, threads);
    } catch (error) {
      gatewayLog.warn("Could not delete message requests of {jid}: {error}", {
        jid: this.#jid,
        error,
      });
    }
  }

  /** Writes nothing more (the user unregistered: their data is being deleted). */
  close(): void {
    this.#closed = true;
  }
}

/** Message requests of every user: notices, and listing what is pending. */
export class MessageRequests {
  #options: MessageRequestsOptions;

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
    const pending = session.requests.known(thread);
    if (pending) {
      session.requests.update(pending, event.text, event.timestamp);
      return;
    }
    const conversation = session.conversations.open(event.conversation);
    if (conversation.requestChecked) return;
    conversation.requestChecked = true;
    conversation.queue.post("to_xmpp", async () => {
      try {
        await this.#check(session, conversation, event.text, event.timestamp);
      } catch (error) {
        gatewayLog.warn("Checking for a message request of {jid} failed: {error}", {
          jid: session.jid,
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
  async list(session: RequestSession, messenger: MessengerSession): Promise<PendingRequest[]> {
    const book = session.requests;
    const seen = new Map(await book.seen());
    const found = new Map<ThreadId, PendingRequest>();
    let threads: ThreadInfo[] = [];
    if (hasCapability(messenger, "getThreads")) {
      try {
        threads = await capability(messenger, "getThreads")(REQUEST_SCAN_LIMIT);
      } catch (error) {
        if (seen.size === 0) throw error;
        gatewayLog.info("Could not list the conversations of {jid}: {reason}", {
          jid: session.jid,
          reason: explainFailure(error).sentence,
        });
      }
    }
    for (const thread of threads) {
      if (thread.isMessageRequest) found.set(thread.id, fromThread(thread, seen.get(thread.id)));
      else if (thread.isMessageRequest === false && seen.delete(thread.id)) {
        await book.forget([thread.id]);
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
  async answered(session: RequestSession, threads: ThreadId[]): Promise<void> {
    for (const thread of threads) {
      const conversation = session.conversations.get(thread);
      if (conversation) conversation.requestChecked = false;
    }
    await session.requests.forget(threads);
  }

  async #check(
    session: RequestSession,
    conversation: Conversation,
    text: string,
    timestamp: number,
  ): Promise<void> {
    const thread = conversation.thread;
    const seen = await session.requests.seen();
    const known = seen.get(thread);
    if (known) {
      // Noticed before a restart: the user was told already.
      session.requests.update(known, text, timestamp);
      return;
    }
    const messenger = session.messenger;
    if (!messenger) {
      // Disconnected meanwhile: the next message of this conversation asks again.
      conversation.requestChecked = false;
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
    if (!info.isMessageRequest || conversation.closed) return;
    const name = info.name ?? await nameOf(messenger, asUserId(thread)) ?? thread;
    const request: PendingRequest = { thread, name, isGroup: false, lastActivity: timestamp };
    if (text !== "") request.preview = text;
    seen.set(thread, request);
    await session.requests.store(request);
    await this.#options.xmpp.gatewayMessage(
      session.jid,
      requestNotice(name, this.#options.xmpp.contactAddress(asUserId(thread))),
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
