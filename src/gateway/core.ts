/**
 * The one place the gateway core is built (after mautrix bridgev2's `NewBridge`): the registered
 * users and their sessions, the store's id mapping and batched writes, both message flows, message
 * requests and the commands — around an {@link XmppPort} and a Messenger network. `src/app.ts`
 * and the tests build it here, so its wiring exists once.
 *
 * @module
 */

import type { Config } from "../config/config.ts";
import { gatewayLog } from "../log.ts";
import { LogThrottle } from "../log_throttle.ts";
import type { Attachment, ConversationRef } from "../messenger/events.ts";
import type { UserId } from "../messenger/ids.ts";
import type { MessengerNetwork } from "../messenger/session.ts";
import { MessageIdStore } from "../store/message_ids.ts";
import { WriteBatcher } from "../store/write_batcher.ts";
import { RoomArchives } from "../store/room_archive.ts";
import { Rooms } from "./rooms.ts";
import type { Command, CommandCaller } from "./command.ts";
import { type CommandContext, gatewayCommands, runtimeLogLevel } from "./commands/mod.ts";
import { contactJidFor, findUsers } from "./commands/find.ts";
import { registerInOneStep } from "./commands/registration.ts";
import type { GatewayCore, RegisteredUser } from "./core_port.ts";
import { lookUpFriend } from "./friend_lookup.ts";
import { Gateway } from "./gateway.ts";
import { IncomingEvents } from "./incoming_events.ts";
import { MessageRequests } from "./message_requests.ts";
import type { FileDownload } from "./outgoing_attachments.ts";
import { MessageRefused, OutgoingMessages } from "./outgoing_messages.ts";
import { UserPresence } from "./user_presence.ts";
import type { ParsedMessage } from "./message_actions.ts";
import type { XmppPort } from "./xmpp_port.ts";

/** What the core is built around. */
export interface CoreDependencies {
  kv: Deno.Kv;
  network: MessengerNetwork;
  xmpp: XmppPort;
  /** Program name and release (shown by `info`). */
  software: { name: string; version: string };
  /** Downloads a file a user links to (bounded); without it, file links are sent as text. */
  download?: FileDownload;
  /** Makes a Messenger attachment's URL durable (XEP-0363 re-upload); must not throw. */
  rehost?: (attachment: Attachment) => Promise<Attachment>;
  /** Test tuning: shorter pauses and waits than a real deployment wants. */
  tuning?: CoreTuning;
  /** What the commands see of the runtime (log level control, memory, clock); tests fake it. */
  runtime?: Partial<Pick<CommandContext, "logLevel" | "memoryBytes" | "now">>;
}

/** Timings tests shorten; every one has a production default. */
export interface CoreTuning {
  /** First retry delay after a passing login failure (ms); default 30 s. */
  retryDelayMs?: number;
  /** How often refreshed cookies are saved (ms); default 30 min. */
  cookieSaveIntervalMs?: number;
  /** Pause before re-sending an event whose send failed as the XMPP link dropped (ms). */
  retryPauseMs?: number;
  /** Minimum time between two typing notices to Messenger for one conversation (ms). */
  typingThrottleMs?: number;
  /** How long unregistering waits for a conversation's running work (ms). */
  drainMs?: number;
  /** How old a message must be before the content watchdog judges it missing (ms). */
  watchdogGraceMs?: number;
}

/** A built core. */
export interface Core {
  /** Users, sessions, registration (in-process tests and benchmarks reach in here). */
  readonly gateway: Gateway;
  /** The XMPP side's entry into the core. */
  readonly port: GatewayCore;
  /** What the commands are built with (tests run commands through it). */
  readonly commandContext: CommandContext;
  /** Loads registered users and logs them in (staggered). */
  start(): Promise<void>;
  /** Ends every session (users stay registered) and commits what is batched. Never throws. */
  stop(): Promise<void>;
}

/** Builds the core from the configuration; nothing runs until {@link Core.start}. */
export function createCore(config: Config, deps: CoreDependencies): Core {
  const { kv, xmpp } = deps;
  const tuning = deps.tuning ?? {};
  const workFailures = new LogThrottle();
  const batcher = new WriteBatcher(kv);
  const messageIds = new MessageIdStore(kv, batcher);
  const roomArchives = new RoomArchives(kv, batcher, { retentionDays: config.groups.mamDays });
  const rooms = new Rooms({
    xmpp,
    settings: { joinHistory: config.groups.joinHistory, backfill: config.groups.backfill },
  });
  const gateway = new Gateway({
    settings: {
      name: config.gateway.name,
      admins: config.gateway.admins,
      allowedJids: config.gateway.allowedJids,
      loginStaggerMs: config.gateway.loginStaggerMs,
      rosterMaxContacts: config.roster.maxContacts,
      retryDelayMs: tuning.retryDelayMs ?? 30_000,
      cookieSaveIntervalMs: tuning.cookieSaveIntervalMs ?? 30 * 60_000,
      contactPresence: config.contacts.presence,
      watchdog: {
        intervalMs: config.messenger.watchdogInterval * 1000,
        threads: config.messenger.watchdogThreads,
        ...(tuning.watchdogGraceMs === undefined ? {} : { graceMs: tuning.watchdogGraceMs }),
      },
      ...(tuning.drainMs === undefined ? {} : { drainMs: tuning.drainMs }),
    },
    kv,
    network: deps.network,
    xmpp,
    messageIds,
    queues: {
      // A flood fails the same way thousands of times: one line, then the count.
      onError: (error, conversation) =>
        workFailures.line(
          `${conversation.user} ${conversation.thread} ${
            error instanceof Error ? error.name : "?"
          }`,
          (repeats) =>
            gatewayLog.warn(
              "Message work for {user} in thread {thread} failed: {error}{repeated}",
              {
                user: conversation.user,
                thread: conversation.thread,
                error,
                repeated: workFailures.note(repeats),
              },
            ),
        ),
    },
    flushWrites: () => batcher.flush(),
    archives: roomArchives,
    onConnected: (session) => rooms.syncAtLogin(session, config.groups.syncLimit),
  });
  const outgoing = new OutgoingMessages({
    xmpp,
    rooms,
    counters: gateway.counters,
    ...(deps.download ? { download: deps.download } : {}),
    settings: {
      reconnectWaitMs: config.messages.reconnectWait * 1000,
      correctionPolicy: config.messages.correction,
      typingThrottleMs: tuning.typingThrottleMs ?? 5000,
    },
  });
  const incoming = new IncomingEvents({
    xmpp,
    rooms,
    counters: gateway.counters,
    ...(deps.rehost ? { rehost: deps.rehost } : {}),
    ...(tuning.retryPauseMs === undefined ? {} : { retryPauseMs: tuning.retryPauseMs }),
  });
  // Message requests first: a request's notice is queued ahead of its first message.
  const messageRequests = new MessageRequests({ xmpp });
  gateway.onMessengerEvent((session, event) => messageRequests.observe(session, event));
  gateway.onMessengerEvent((session, event) => incoming.accept(session, event));

  const commandContext: CommandContext = {
    gateway,
    kv,
    domain: config.component.jid,
    software: deps.software,
    logLevel: runtimeLogLevel(config.log.level),
    messageRequests,
    rooms,
    ...deps.runtime,
  };
  const commands: Command[] = gatewayCommands(commandContext);
  const resources = new UserPresence({
    keepSessionsWhenOffline: config.gateway.keepSessionsWhenOffline,
    session: (jid) => gateway.session(jid),
  });

  const port: GatewayCore = {
    isRegistered: (jid) => gateway.isRegistered(jid),
    isAllowed: (jid) => gateway.isAllowed(jid),
    user: (jid): RegisteredUser | undefined => gateway.session(jid),
    users: (): RegisteredUser[] => gateway.sessions(),
    commands: () => commands,
    caller: (fullJid): CommandCaller => {
      const bare = bareOf(fullJid);
      return {
        jid: bare,
        fullJid,
        isAdmin: gateway.isAdmin(bare),
        isRegistered: gateway.isRegistered(bare),
        isAllowed: gateway.isAllowed(bare),
      };
    },
    register: (jid, values) => registerInOneStep(commandContext, jid, values),
    unregister: async (jid, reason) => {
      const done = await gateway.unregister(jid, reason);
      resources.forget(jid);
      return done;
    },
    search: (jid, query) => findUsers(commandContext, jid, query),
    resolveContact: (jid, prompt) => contactJidFor(commandContext, jid, prompt),
    conversationAt: (user, thread) => {
      const session = gateway.session(user);
      if (!session) return { thread, kind: "direct", left: false };
      return session.directory.lookup(thread);
    },
    sendMessage: (
      user: string,
      client: string,
      ref: ConversationRef,
      message: ParsedMessage,
    ) => {
      const session = gateway.session(user);
      if (!session) {
        throw new MessageRefused({
          kind: "service_unavailable",
          text: "You are not registered with this gateway",
        });
      }
      outgoing.accept(session, session.conversations.open(ref), message, client);
    },
    rooms: async (user) => {
      const session = gateway.session(user);
      return session ? await rooms.list(session) : [];
    },
    joinRoom: async (user, thread, history, show) => {
      const session = gateway.session(user);
      const entry = await session?.directory.lookup(thread);
      if (!session || entry?.kind !== "group" || entry.left) return false;
      const conversation = session.conversations.open({ thread, kind: "group" });
      return await conversation.queue.run("to_xmpp", async () => {
        const snapshot = await rooms.snapshot(session, thread, history);
        if (!snapshot) return false;
        await show(snapshot);
        return true;
      });
    },
    roomInfo: async (user, thread) => {
      const session = gateway.session(user);
      return session ? await rooms.describe(session, thread) : undefined;
    },
    queryArchive: async (user, thread, query) => {
      const session = gateway.session(user);
      const entry = await session?.directory.lookup(thread);
      if (!session || entry?.kind !== "group" || entry.left) return undefined;
      return await session.conversations.open({ thread, kind: "group" }).archive.query(query);
    },
    archiveBounds: async (user, thread) => {
      const session = gateway.session(user);
      const entry = await session?.directory.lookup(thread);
      if (!session || entry?.kind !== "group" || entry.left) return undefined;
      return await session.conversations.open({ thread, kind: "group" }).archive.bounds();
    },
    roomAction: async (user, thread, action) => {
      const session = gateway.session(user);
      if (!session) {
        throw new MessageRefused({ kind: "not_allowed", text: "You are not registered" });
      }
      await rooms.act(session, thread, action);
    },
    lookUpFriend: (user, id: UserId) => {
      const session = gateway.session(user);
      return session ? lookUpFriend(session, id) : Promise.resolve({ kind: "unknown" });
    },
    resources,
  };

  let stopped = false;
  return {
    gateway,
    port,
    commandContext,
    start: () => gateway.start(),
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        await gateway.stop();
      } catch (error) {
        gatewayLog.warn("Could not end every Messenger session cleanly: {error}", { error });
      }
      await resources.idle();
      await batcher.close();
      workFailures.flush();
    },
  };
}

function bareOf(fullJid: string): string {
  const slash = fullJid.indexOf("/");
  return (slash < 0 ? fullJid : fullJid.slice(0, slash)).toLowerCase();
}
