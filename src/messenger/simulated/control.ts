/**
 * The control API of the simulated network, as TypeScript methods (`network.control`): make
 * friends act, read what the gateway did, inject faults, upload files. The loopback HTTP API
 * (`control_server.ts`) is a thin JSON layer over exactly these methods, so in-process tests and
 * curl see the same behaviour.
 *
 * Input is validated as strictly as JSON from outside (a wrong field is a `bad_request`
 * MessengerError naming it); an unknown account is `not_found`.
 *
 * @module
 */

import type { ConnectionStatus } from "../connection_state.ts";
import { isMessengerError, MessengerError } from "../errors.ts";
import type { Attachment, RemoteEvent } from "../events.ts";
import { asMessageId, asThreadId, asUserId, type UserId } from "../ids.ts";
import type { ThreadInfo } from "../session.ts";
import { attachmentKindOf } from "./attachment_kind.ts";
import { type Fault, parseFault, type PendingFault } from "./faults.ts";
import type { FileServer, StoredFile } from "./file_server.ts";
import {
  decodeBase64,
  type InjectedAttachment,
  type Injection,
  parseInjection,
} from "./injection.ts";
import { invalid } from "./json_fields.ts";
import type { OperationLog, OperationPage } from "./operations.ts";
import type { EventFor, SimAccount, SimThread, SimulatedFacebook } from "./simulated_facebook.ts";
import type { WorkTracker } from "./work_tracker.ts";

/** An account as the control API lists it (never with its password or cookies). */
export interface AccountSummary {
  userId: UserId;
  name: string;
  email: string;
  friends: UserId[];
  /** Logged-in sessions, oldest first. */
  sessions: { id: number; status: ConnectionStatus }[];
}

/** What the control API works on. */
export interface SimulatedControlContext {
  facebook: SimulatedFacebook;
  log: OperationLog;
  files: FileServer;
  tracker: WorkTracker;
}

/** Drives a simulated network from a test or a script. */
export class SimulatedControl {
  constructor(private readonly context: SimulatedControlContext) {}

  /** Every account of the world with its logged-in sessions. */
  accounts(): AccountSummary[] {
    return this.context.facebook.accounts().map((account) => ({
      userId: account.world.userId,
      name: account.user.name,
      email: account.world.email,
      friends: [...account.friends],
      sessions: [...account.sessions].map((port) => ({ id: port.id, status: port.state.status })),
    }));
  }

  /**
   * Makes things happen as seen by `account` (see {@link Injection}), in order, stopping at the
   * first invalid one (earlier ones stay done). Resolves once the events were delivered (and what
   * they set off, such as echo replies, has settled; events held by a briefly disconnected session
   * follow when it reconnects) with the events as `account` sees them (a reaction that changes
   * nothing produces none).
   */
  async inject(
    account: string,
    injections: Injection | readonly Injection[],
  ): Promise<RemoteEvent[]> {
    const target = this.context.facebook.requireAccount(account);
    const list: readonly unknown[] = Array.isArray(injections) ? injections : [injections];
    const parsed = list.map((entry, index) =>
      parseInjection(entry, Array.isArray(injections) ? `events[${index}]` : "")
    );
    const events: RemoteEvent[] = [];
    for (const [index, injection] of parsed.entries()) {
      try {
        const event = this.#apply(target, injection);
        if (event !== undefined) events.push(event);
      } catch (error) {
        if (isMessengerError(error) && Array.isArray(injections)) {
          throw new MessengerError(error.code, `events[${index}]: ${error.message}`);
        }
        throw error;
      }
    }
    await this.context.tracker.idle(["delivery", "echo"]);
    return events;
  }

  /**
   * Delivers an existing message to the account's sessions again, as Facebook sometimes does;
   * they must drop the duplicate. Resolves with how many sessions it was handed to.
   */
  async redeliver(account: string, messageId: string): Promise<number> {
    const count = this.context.facebook.redeliver(asUserId(account), asMessageId(messageId));
    await this.context.tracker.idle(["delivery", "echo"]);
    return count;
  }

  /** What the gateway did on the account, oldest first, after the `since` cursor. */
  operations(account: string, since = 0): OperationPage {
    this.context.facebook.requireAccount(account);
    return this.context.log.list(asUserId(account), since);
  }

  /**
   * Adds faults: call faults wait for the next matching calls; connection faults act at once on
   * the account's listening sessions. Returns the call faults now pending.
   */
  addFaults(account: string, faults: Fault | readonly Fault[]): PendingFault[] {
    const target = this.context.facebook.requireAccount(account);
    const list: readonly unknown[] = Array.isArray(faults) ? faults : [faults];
    const parsed = list.map((entry, index) =>
      parseFault(entry, Array.isArray(faults) ? `faults[${index}]` : "")
    );
    for (const fault of parsed) {
      if (fault.kind === "drop_connection") {
        for (const port of [...target.sessions]) {
          port.dropConnection(fault.downMs ?? 0, fault.loseEvents ?? false);
        }
      } else if (fault.kind === "expire_session") {
        for (const port of [...target.sessions]) port.expire();
      } else if (fault.kind === "silent") {
        for (const port of [...target.sessions]) port.silence();
      } else {
        target.faults.add(fault);
      }
    }
    return target.faults.list();
  }

  /** The account's pending call faults. */
  faults(account: string): PendingFault[] {
    return this.context.facebook.requireAccount(account).faults.list();
  }

  /** Forgets the account's pending call faults. */
  clearFaults(account: string): void {
    this.context.facebook.requireAccount(account).faults.clear();
  }

  /** Serves a file from the network's file server; injected events can then use its URL. */
  uploadFile(data: Uint8Array, filename: string, contentType: string): StoredFile {
    return this.context.files.store(data, filename, contentType);
  }

  /** The account's threads as its sessions would list them (no limit), newest first. */
  threads(account: string): ThreadInfo[] {
    this.context.facebook.requireAccount(account);
    return this.context.facebook.threads(asUserId(account), Number.MAX_SAFE_INTEGER);
  }

  /** Resolves once no event delivery, echo reply or reconnection is pending. */
  idle(): Promise<void> {
    return this.context.tracker.idle();
  }

  // ---------------------------------------------------------------------------------------------

  #apply(account: SimAccount, injection: Injection): RemoteEvent | undefined {
    const { facebook } = this.context;
    const me = account.world.userId;
    const viewed = (eventFor: EventFor | undefined) => eventFor?.(me);
    switch (injection.type) {
      case "message": {
        const sender = this.#actor(injection.sender);
        const thread = this.#thread(me, sender, injection.thread);
        this.#agrees("isGroup", injection.isGroup, thread.isGroup);
        this.#agrees("fromSelf", injection.fromSelf, sender === me);
        const message = facebook.sendMessage(sender, thread, {
          text: injection.text ?? "",
          attachments: (injection.attachments ?? []).map((attachment, index) =>
            this.#attachment(attachment, `attachments[${index}]`)
          ),
          mentions: (injection.mentions ?? []).map((mention) => ({
            user: asUserId(mention.user),
            offset: mention.offset,
            length: mention.length,
          })),
          ...(injection.replyTo === undefined ? {} : { replyTo: asMessageId(injection.replyTo) }),
          ...(injection.id === undefined ? {} : { id: asMessageId(injection.id) }),
          ...(injection.timestamp === undefined ? {} : { timestamp: injection.timestamp }),
        }, {});
        return facebook.messageEvent(message, me);
      }
      case "reaction": {
        const reactor = this.#actor(injection.reactor);
        this.#agrees("fromSelf", injection.fromSelf, reactor === me);
        this.#messageThreadAgrees(me, injection.messageId, injection.thread);
        return viewed(facebook.react(
          reactor,
          asMessageId(injection.messageId),
          injection.reaction,
          {},
          injection.timestamp,
        ));
      }
      case "unsend": {
        const sender = this.#actor(injection.sender);
        this.#agrees("fromSelf", injection.fromSelf, sender === me);
        this.#messageThreadAgrees(me, injection.messageId, injection.thread);
        return viewed(
          facebook.unsend(sender, asMessageId(injection.messageId), {}, injection.timestamp),
        );
      }
      case "read_receipt": {
        const reader = this.#actor(injection.reader);
        this.#agrees("fromSelf", injection.fromSelf, reader === me);
        const thread = this.#thread(me, reader, injection.thread);
        return viewed(facebook.markRead(reader, thread, {}, injection.timestamp));
      }
      case "typing": {
        const user = this.#actor(injection.user);
        this.#agrees("fromSelf", injection.fromSelf, user === me);
        const thread = this.#thread(me, user, injection.thread);
        return viewed(facebook.setTyping(user, thread, injection.typing ?? true, {}));
      }
      case "presence":
        return viewed(
          facebook.setPresence(this.#actor(injection.user), injection.online, injection.lastActive),
        );
      case "thread_renamed": {
        const author = this.#actor(injection.author);
        const thread = this.#thread(me, author, injection.thread);
        return viewed(
          facebook.renameGroup(author, thread, injection.name, {}, injection.timestamp),
        );
      }
      case "participants_added": {
        const author = this.#actor(injection.author);
        const thread = this.#thread(me, author, injection.thread);
        const users = injection.users.map((user) =>
          asUserId(typeof user === "string" ? user : user.id)
        );
        return viewed(facebook.addToGroup(author, thread, users, {}, injection.timestamp));
      }
      case "participant_left": {
        const author = this.#actor(injection.author);
        const thread = this.#thread(me, author, injection.thread);
        const user = injection.user === undefined ? author : this.#actor(injection.user);
        return viewed(facebook.removeFromGroup(author, thread, user, {}, injection.timestamp));
      }
      case "thread_image": {
        const author = this.#actor(injection.author);
        const thread = this.#thread(me, author, injection.thread);
        let url = injection.url;
        if (injection.image !== undefined) {
          const contentType = injection.image.contentType ?? "image/jpeg";
          url = this.context.files.store(
            decodeBase64(injection.image.data, "image.data"),
            injection.image.filename ?? "group.jpg",
            contentType,
          ).url;
        }
        return viewed(facebook.setGroupImage(author, thread, url, {}, injection.timestamp));
      }
      case "admins_changed": {
        const author = this.#actor(injection.author);
        const thread = this.#thread(me, author, injection.thread);
        const user = this.#actor(injection.user);
        return viewed(
          facebook.setAdmin(author, thread, user, injection.admin, {}, injection.timestamp),
        );
      }
    }
  }

  #actor(id: string): UserId {
    return this.context.facebook.requireUser(id).id;
  }

  /** The thread as `me` names it; a 1:1 thread defaults to the one with `actor`. */
  #thread(me: UserId, actor: UserId, thread: string | undefined): SimThread {
    if (thread === undefined && actor === me) {
      throw invalid("thread", "is needed when the account itself acts");
    }
    const resolved = this.context.facebook.resolveThread(me, asThreadId(thread ?? actor));
    if (!resolved.participants.includes(actor)) {
      throw new MessengerError("bad_request", `User ${actor} is not in thread ${thread ?? actor}`);
    }
    return resolved;
  }

  #agrees(field: string, given: boolean | undefined, actual: boolean): void {
    if (given !== undefined && given !== actual) {
      throw invalid(field, `must be ${actual} here (or be left out)`);
    }
  }

  #messageThreadAgrees(me: UserId, messageId: string, thread: string | undefined): void {
    if (thread === undefined) return;
    const history = this.context.facebook.resolveThread(me, asThreadId(thread));
    if (!history.messages.some((message) => message.id === messageId)) {
      throw new MessengerError("not_found", `No message ${messageId} in thread ${thread}`);
    }
  }

  #attachment(input: InjectedAttachment, path: string): Attachment {
    const { data, ...rest } = input;
    const contentType = input.contentType ?? "application/octet-stream";
    const attachment: Attachment = { kind: input.kind ?? attachmentKindOf(contentType), ...rest };
    if (data !== undefined) {
      const stored = this.context.files.store(
        decodeBase64(data, `${path}.data`),
        input.filename ?? "file",
        contentType,
      );
      attachment.url = stored.url;
      attachment.size = stored.size;
      attachment.filename = stored.filename;
      attachment.contentType = contentType;
    }
    return attachment;
  }
}
