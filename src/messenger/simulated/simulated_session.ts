/**
 * One logged-in account of the simulated network, implementing the whole
 * {@link MessengerSession} contract including every optional capability.
 *
 * Each call goes the same way: refuse when the session cannot work (disconnected, expired, down),
 * apply injected faults (latency, hang, failure), act on the simulated Facebook, and record the
 * operation (with its error code when it failed) in the account's operation log.
 *
 * @module
 */

import type { ConnectionState } from "../connection_state.ts";
import type { Cookie } from "../credentials.ts";
import { MessengerError } from "../errors.ts";
import type { RemoteEvent } from "../events.ts";
import type { MessageId, ThreadId, UserId } from "../ids.ts";
import type {
  EventHandler,
  HistoryMessage,
  MessengerSession,
  OutgoingMessage,
  SentMessage,
  ThreadInfo,
  UserInfo,
} from "../session.ts";
import { messengerLog } from "../../log.ts";
import { attachmentKindOf } from "./attachment_kind.ts";
import type { FileServer } from "./file_server.ts";
import type { OperationDetails, OperationLog, RecordedAttachment } from "./operations.ts";
import { SessionEventStream } from "./session_events.ts";
import type { SessionPort, SimAccount, SimulatedFacebook } from "./simulated_facebook.ts";
import { sleep } from "./sleep.ts";
import type { WorkTracker } from "./work_tracker.ts";

/** The largest attachment Messenger accepts (25 MB). */
export const MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024;

/** What a session shares with the rest of its network. */
export interface SimulatedSessionContext {
  facebook: SimulatedFacebook;
  files: FileServer;
  log: OperationLog;
  tracker: WorkTracker;
  now: () => number;
  /** How long a hanging call waits before rejecting with `timeout`. */
  callTimeoutMs: number;
  /** Told when the session is disconnected, so the network forgets it. */
  onDisconnect?: (session: SimulatedSession) => void;
}

/** Per-login settings. */
export interface SimulatedSessionOptions {
  /** Deliver own messages sent elsewhere (`fromSelf` messages); other own events always come. */
  selfListen: boolean;
  /** The cookies `exportCookies` returns. */
  cookies: Cookie[];
}

type CallDetails = Exclude<OperationDetails, { method: "login" | "disconnect" }>;

const CONNECTED: ConnectionState = { status: "connected" };

/** A simulated Messenger login. */
export class SimulatedSession implements MessengerSession {
  readonly self: { id: UserId; name?: string };
  #state: ConnectionState = { status: "connecting" };
  #listening = false;
  #closed = false;
  readonly #abort = new AbortController();
  readonly #events: SessionEventStream;
  readonly #port: SessionPort;

  /** Logs the session in: it is attached to the simulated Facebook (events start on listen). */
  constructor(
    private readonly context: SimulatedSessionContext,
    /** The session number, as the operation log and the control API show it. */
    readonly id: number,
    private readonly account: SimAccount,
    private readonly options: SimulatedSessionOptions,
  ) {
    this.self = { id: account.world.userId, name: account.user.name };
    this.#events = new SessionEventStream(context.tracker);
    const currentState = () => this.state;
    this.#port = {
      id,
      account: account.world.userId,
      get state() {
        return currentState();
      },
      deliver: (event) => this.#deliver(event),
      dropConnection: (downMs, loseEvents) => this.#dropConnection(downMs, loseEvents),
      expire: () => this.#expire(),
      silence: () => {
        if (!this.#closed && this.#listening) this.#events.silence();
      },
    };
    context.facebook.attach(this.#port);
  }

  /** The current connection state (a copy). */
  get state(): ConnectionState {
    return { ...this.#state };
  }

  /** True once {@link listen} succeeded (until disconnect). */
  get listening(): boolean {
    return this.#listening && !this.#closed;
  }

  onEvent(handler: EventHandler): () => void {
    return this.#events.subscribe(handler);
  }

  async listen(): Promise<void> {
    await this.#call({ method: "listen" }, () => {
      if (this.#listening) return;
      this.#listening = true;
      this.#events.start();
      this.#setState(CONNECTED);
    });
  }

  sendMessage(
    thread: ThreadId,
    message: OutgoingMessage,
    options: { isGroup: boolean },
  ): Promise<SentMessage> {
    const details: Extract<CallDetails, { method: "sendMessage" }> = {
      method: "sendMessage",
      thread,
      isGroup: options.isGroup,
      text: message.text ?? "",
      mentions: (message.mentions ?? []).map((mention) => ({ ...mention })),
      attachments: [],
      ...(message.replyTo === undefined ? {} : { replyTo: message.replyTo }),
    };
    return this.#call(details, () => {
      const { facebook, files } = this.context;
      const target = facebook.resolveThread(this.self.id, thread);
      if (target.isGroup !== options.isGroup) {
        throw new MessengerError(
          "bad_request",
          `Thread ${thread} is ${target.isGroup ? "a group" : "not a group"}: isGroup was wrong`,
        );
      }
      const outgoing = message.attachments ?? [];
      for (const attachment of outgoing) {
        if (attachment.data.byteLength > MAX_ATTACHMENT_BYTES) {
          throw new MessengerError("bad_request", `Attachment ${attachment.filename} is too large`);
        }
      }
      const attachments = outgoing.map((attachment) => {
        const stored = files.store(attachment.data, attachment.filename, attachment.contentType);
        const recorded: RecordedAttachment = { ...stored };
        details.attachments.push(recorded);
        return {
          kind: attachmentKindOf(attachment.contentType),
          url: stored.url,
          filename: stored.filename,
          contentType: stored.contentType,
          size: stored.size,
        };
      });
      const sent = facebook.sendMessage(this.self.id, target, {
        text: message.text ?? "",
        attachments,
        mentions: details.mentions,
        ...(message.replyTo === undefined ? {} : { replyTo: message.replyTo }),
      }, { session: this.id });
      details.messageId = sent.id;
      return { id: sent.id, timestamp: sent.timestamp };
    });
  }

  exportCookies(): Promise<Cookie[]> {
    return this.#call(
      { method: "exportCookies" },
      () => this.options.cookies.map((cookie) => ({ ...cookie })),
    );
  }

  disconnect(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#abort.abort(new MessengerError("disconnected", "The Messenger session was disconnected"));
    this.#events.end(true);
    this.context.facebook.detach(this.#port);
    this.#state = { status: "logged_out", reason: "user_logout", message: "Logged out" };
    this.#record({ method: "disconnect" });
    this.context.onDisconnect?.(this);
    messengerLog.debug("Simulated session {id} of {account} disconnected", {
      id: this.id,
      account: this.self.id,
    });
    return Promise.resolve();
  }

  react(message: MessageId, reaction: string): Promise<void> {
    return this.#call({ method: "react", messageId: message, reaction }, () => {
      this.context.facebook.react(this.self.id, message, reaction, { session: this.id });
    });
  }

  unsend(message: MessageId): Promise<void> {
    return this.#call({ method: "unsend", messageId: message }, () => {
      this.context.facebook.unsend(this.self.id, message, { session: this.id });
    });
  }

  markRead(thread: ThreadId): Promise<void> {
    return this.#call({ method: "markRead", thread }, () => {
      const { facebook } = this.context;
      facebook.markRead(this.self.id, facebook.resolveThread(this.self.id, thread), {
        session: this.id,
      });
    });
  }

  setTyping(thread: ThreadId, typing: boolean, options: { isGroup: boolean }): Promise<void> {
    const details = { method: "setTyping", thread, typing, isGroup: options.isGroup } as const;
    return this.#call(details, () => {
      const { facebook } = this.context;
      facebook.setTyping(this.self.id, facebook.resolveThread(this.self.id, thread), typing, {
        session: this.id,
      });
    });
  }

  getThreads(limit: number): Promise<ThreadInfo[]> {
    return this.#call({ method: "getThreads", limit }, () => {
      if (!Number.isInteger(limit) || limit < 1) {
        throw new MessengerError("bad_request", "The thread limit must be a positive integer");
      }
      return this.context.facebook.threads(this.self.id, limit);
    });
  }

  getThreadInfo(thread: ThreadId): Promise<ThreadInfo> {
    return this.#call({ method: "getThreadInfo", thread }, () => {
      const { facebook } = this.context;
      return facebook.threadInfo(this.self.id, facebook.resolveThread(this.self.id, thread));
    });
  }

  getHistory(thread: ThreadId, count: number, before?: number): Promise<HistoryMessage[]> {
    const details: Extract<CallDetails, { method: "getHistory" }> = {
      method: "getHistory",
      thread,
      count,
      ...(before === undefined ? {} : { before }),
    };
    return this.#call(details, () => {
      if (!Number.isInteger(count) || count < 1) {
        throw new MessengerError("bad_request", "The history count must be a positive integer");
      }
      const { facebook } = this.context;
      return facebook.history(
        this.self.id,
        facebook.resolveThread(this.self.id, thread),
        count,
        before,
      );
    });
  }

  getFriends(): Promise<UserInfo[]> {
    return this.#call({ method: "getFriends" }, () => this.context.facebook.friends(this.self.id));
  }

  getUserInfo(users: UserId[]): Promise<UserInfo[]> {
    return this.#call(
      { method: "getUserInfo", users: [...users] },
      () => this.context.facebook.users(this.self.id, users),
    );
  }

  searchUsers(query: string): Promise<UserInfo[]> {
    return this.#call(
      { method: "searchUsers", query },
      () => this.context.facebook.search(this.self.id, query),
    );
  }

  createGroup(users: UserId[], title: string): Promise<ThreadId> {
    const details: Extract<CallDetails, { method: "createGroup" }> = {
      method: "createGroup",
      users: [...users],
      title,
    };
    return this.#call(details, () => {
      const { facebook } = this.context;
      const thread = facebook.createGroup(this.self.id, users, title, { session: this.id });
      const id = facebook.threadIdFor(thread, this.self.id);
      details.thread = id;
      return id;
    });
  }

  addToGroup(thread: ThreadId, user: UserId): Promise<void> {
    return this.#call({ method: "addToGroup", thread, user }, () => {
      const { facebook } = this.context;
      facebook.addToGroup(this.self.id, facebook.resolveThread(this.self.id, thread), [user], {
        session: this.id,
      });
    });
  }

  removeFromGroup(thread: ThreadId, user: UserId): Promise<void> {
    return this.#call({ method: "removeFromGroup", thread, user }, () => {
      const { facebook } = this.context;
      facebook.removeFromGroup(this.self.id, facebook.resolveThread(this.self.id, thread), user, {
        session: this.id,
      });
    });
  }

  renameGroup(thread: ThreadId, name: string): Promise<void> {
    return this.#call({ method: "renameGroup", thread, name }, () => {
      const { facebook } = this.context;
      facebook.renameGroup(this.self.id, facebook.resolveThread(this.self.id, thread), name, {
        session: this.id,
      });
    });
  }

  setGroupAdmin(thread: ThreadId, user: UserId, admin: boolean): Promise<void> {
    return this.#call({ method: "setGroupAdmin", thread, user, admin }, () => {
      const { facebook } = this.context;
      facebook.setAdmin(this.self.id, facebook.resolveThread(this.self.id, thread), user, admin, {
        session: this.id,
      });
    });
  }

  handleMessageRequest(threads: ThreadId[], accept: boolean): Promise<void> {
    return this.#call({ method: "handleMessageRequest", threads: [...threads], accept }, () => {
      this.context.facebook.handleMessageRequest(this.self.id, threads, accept);
    });
  }

  /**
   * Reconnects at once (listening first if not yet): briefly `transient_disconnect`, then back,
   * ending a `silent` fault; what a silenced listener lost is not replayed.
   */
  restartListener(): Promise<void> {
    return this.#call({ method: "restartListener" }, () => {
      if (!this.#listening) {
        this.#listening = true;
        this.#events.start();
      } else {
        this.#events.unsilence();
        this.#setState({
          status: "transient_disconnect",
          reason: "stalled",
          message: "Restarting the Messenger listener on request",
          retryInMs: 0,
        });
      }
      this.#setState(CONNECTED);
    });
  }

  // ---------------------------------------------------------------------------------------------

  /** Runs one call: usability check, faults, the action, the operation record. */
  async #call<D extends CallDetails, T>(details: D, run: () => T): Promise<T> {
    try {
      this.#ensureUsable();
      const faults = this.account.faults.take(details.method);
      if (faults.hang) {
        await sleep(this.context.callTimeoutMs, this.#abort.signal);
        throw new MessengerError("timeout", `No answer to ${details.method} in time`);
      }
      if (faults.latencyMs > 0) {
        await sleep(faults.latencyMs, this.#abort.signal);
        this.#ensureUsable();
      }
      if (faults.fail !== undefined) {
        throw new MessengerError(faults.fail.code, faults.fail.message);
      }
      const result = run();
      this.#record(details);
      return result;
    } catch (error) {
      const failure = error instanceof MessengerError ? error : new MessengerError(
        "internal",
        `The simulated network failed in ${details.method}`,
        { cause: error },
      );
      if (failure.code === "internal") {
        messengerLog.error("Simulated {method} failed: {error}", { method: details.method, error });
      }
      this.#record(details, failure);
      throw failure;
    }
  }

  #ensureUsable(): void {
    if (this.#closed) {
      throw new MessengerError("disconnected", "The Messenger session was disconnected");
    }
    if (this.#state.status === "bad_credentials") {
      throw new MessengerError("not_logged_in", "The Messenger session is no longer logged in");
    }
    if (this.#state.status === "transient_disconnect") {
      throw new MessengerError("network", "Messenger cannot be reached right now");
    }
  }

  #record(details: OperationDetails, error?: MessengerError): void {
    this.context.log.record(
      this.self.id,
      this.id,
      this.context.now(),
      copyOf(details),
      error?.code,
    );
  }

  #setState(state: ConnectionState): void {
    this.#state = state;
    this.#events.push({ type: "connection", state: { ...state } });
  }

  #deliver(event: RemoteEvent): void {
    if (this.#closed) return;
    if (event.type === "message" && event.fromSelf && !this.options.selfListen) return;
    this.#events.push(event);
  }

  #dropConnection(downMs: number, loseEvents: boolean): void {
    if (this.#closed || !this.#listening || this.#state.status !== "connected") return;
    this.#setState({
      status: "transient_disconnect",
      reason: "network",
      message: "Lost the connection to Messenger; reconnecting",
      retryInMs: downMs,
    });
    this.#events.hold();
    this.context.tracker.schedule("reconnect", () => {
      if (this.#closed || this.#state.status !== "transient_disconnect") return;
      this.#state = CONNECTED;
      this.#events.resume({ type: "connection", state: { ...CONNECTED } }, loseEvents);
    }, downMs);
  }

  #expire(): void {
    if (this.#closed || this.#state.status === "bad_credentials") return;
    this.#state = {
      status: "bad_credentials",
      reason: "session_expired",
      message: "The Messenger session expired: log in again",
    };
    this.#events.end(false, { type: "connection", state: { ...this.#state } });
    this.context.facebook.detach(this.#port);
  }
}

/**
 * A copy of an operation's details that later changes cannot reach: its lists and the plain
 * objects in them are copied (details hold nothing deeper). structuredClone did the same at a
 * twentieth of the gateway's time in the message benchmark.
 */
function copyOf(details: OperationDetails): OperationDetails {
  const copy: Record<string, unknown> = { ...details };
  for (const [key, value] of Object.entries(copy)) {
    if (Array.isArray(value)) {
      copy[key] = value.map((item) =>
        typeof item === "object" && item !== null ? { ...item } : item
      );
    }
  }
  return copy as OperationDetails;
}
