/**
 * Wires the rooms together for one running gateway: store, Messenger network, gateway core,
 * component connection, router and the XMPP features. `main.ts` only parses flags and turns
 * failures into exit codes; this is what a test or a benchmark starts in-process.
 *
 * @module
 */

import type { Config } from "./config/config.ts";
import type { Command, CommandCaller } from "./gateway/command.ts";
import type { UserId } from "./messenger/ids.ts";
import type { ContactCard } from "./gateway/xmpp_port.ts";
import type { Element } from "./xmpp/xml.ts";
import { type CommandContext, gatewayCommands, runtimeLogLevel } from "./gateway/commands/mod.ts";
import {
  CREDENTIAL_FIELDS,
  IN_BAND_REGISTRATION_INSTRUCTIONS,
  REGISTRATION_TITLE,
} from "./gateway/commands/credentials_form.ts";
import { contactJidFor, findUsers } from "./gateway/commands/find.ts";
import { registerInOneStep } from "./gateway/commands/registration.ts";
import { Gateway } from "./gateway/gateway.ts";
import { IncomingEvents } from "./gateway/incoming_events.ts";
import { MessageRequests } from "./gateway/message_requests.ts";
import { OutgoingMessages } from "./gateway/outgoing_messages.ts";
import { ThreadQueues } from "./gateway/thread_queue.ts";
import { gatewayLog, mainLog } from "./log.ts";
import { MessageIdStore } from "./store/message_ids.ts";
import { WriteBatcher } from "./store/write_batcher.ts";
import { registerUserMessages } from "./xmpp/user_messages.ts";
import { contactInfo, registerContactDisco } from "./xmpp/contact_disco.ts";
import { capsElement, capsVerification } from "./xmpp/entity_caps.ts";
import { createNetwork } from "./messenger/create_network.ts";
import type { MessengerNetwork } from "./messenger/session.ts";
import { openKv } from "./store/open_store.ts";
import { PROGRAM_NAME, VERSION } from "./version.ts";
import { registerAdhocCommands } from "./xmpp/adhoc_commands.ts";
import { registerChatCommands } from "./xmpp/chat_commands.ts";
import { registerContactAddressing } from "./xmpp/contact_addressing.ts";
import { registerInBandRegistration } from "./xmpp/in_band_registration.ts";
import { registerUserSearch } from "./xmpp/user_search.ts";
import { ComponentConnection, type FatalConnectionError } from "./xmpp/component_connection.ts";
import { parseJid } from "./xmpp/jid.ts";
import { registerPing } from "./xmpp/ping.ts";
import { Router } from "./xmpp/router.ts";
import { gatewayInfo, registerServiceDiscovery } from "./xmpp/service_discovery.ts";
import { registerSoftwareVersion } from "./xmpp/software_version.ts";
import { xml } from "./xmpp/xml.ts";
import { XmppSenders } from "./xmpp/xmpp_senders.ts";
import { UserPresence } from "./gateway/user_presence.ts";
import { AvatarCache } from "./xmpp/avatar_cache.ts";
import { AVATAR_LIMITS, fetchImage } from "./xmpp/image_fetch.ts";
import { AttachmentRehost } from "./xmpp/attachment_rehost.ts";
import { boundedDownload } from "./net/bounded_download.ts";
import { registerPresenceHandling } from "./xmpp/presence_handling.ts";
import { Privileges } from "./xmpp/privileges.ts";
import { registerVcard } from "./xmpp/vcard.ts";
import { cleanUpOnUnregister } from "./gateway/unregister_cleanup.ts";

/** A running gateway. */
export interface App {
  /** Resolves if the XMPP server refused the component for good. */
  readonly failed: Promise<FatalConnectionError>;
  /** The gateway core (for in-process tests and benchmarks). */
  readonly gateway: Gateway;
  /** Tells users the gateway goes away, disconnects and closes the store. Never throws. */
  stop(): Promise<void>;
}

/** What a test or benchmark may put in place of what the configuration would build. */
export interface AppOverrides {
  /** A ready Messenger network (e.g. fca pointed at a fake Facebook); closed by stop(). */
  network?: MessengerNetwork;
}

/** Opens the store, connects to the XMPP server and starts serving. */
export async function startApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const network = overrides.network ?? await createNetwork(config);
  let kv: Deno.Kv;
  try {
    kv = await openKv(config.gateway.data);
  } catch (error) {
    await network.close();
    throw error;
  }
  const domain = config.component.jid;
  const connection = new ComponentConnection({
    domain,
    secret: config.component.secret,
    server: config.component.server,
    port: config.component.port,
  });
  const send = (stanza: Parameters<typeof connection.send>[0]) => connection.send(stanza);
  // XEP-0356 grants, contacts' avatars (loopback allowed only for the simulated network, whose
  // file server is on loopback) and the senders that use them.
  const privileges = new Privileges();
  const avatars = new AvatarCache({
    fetch: (url) =>
      fetchImage(url, {
        ...AVATAR_LIMITS,
        allowPrivateHosts: config.messenger.backend === "simulated",
      }),
  });
  const contactCard = (user: string, id: UserId): ContactCard | undefined =>
    gateway.session(user)?.contact(id);
  const senders = new XmppSenders({
    domain,
    name: config.gateway.name,
    group: config.roster.group,
    send,
    call: (iq: Element): Promise<Element> => router.call(iq),
    whenOnline: (timeoutMs) => connection.whenOnline(timeoutMs),
    privileges,
    avatars,
    contact: contactCard,
    caps: {
      gateway: (): Element =>
        capsElement(capsVerification(gatewayInfo(router, config.gateway.name))),
      contact: (): Element => capsElement(capsVerification(contactInfo(router))),
    },
  });
  const gateway = new Gateway({
    settings: {
      name: config.gateway.name,
      admins: config.gateway.admins,
      allowedJids: config.gateway.allowedJids,
      loginStaggerMs: config.gateway.loginStaggerMs,
      rosterMaxContacts: config.roster.maxContacts,
      retryDelayMs: 30_000,
      cookieSaveIntervalMs: 30 * 60_000,
      contactPresence: config.contacts.presence,
    },
    kv,
    network,
    xmpp: senders,
  });
  const router = new Router({
    domain,
    send,
    isRegistered: (bareJid) => gateway.isRegistered(bareJid),
  });

  // 1:1 messages both ways: per-thread queues, the persistent id mapping (batched writes).
  const batcher = new WriteBatcher(kv);
  const messageIds = new MessageIdStore(kv, batcher);
  const queues = new ThreadQueues({
    onError: (error, key) =>
      gatewayLog.warn("Message work for {user} in thread {thread} failed: {error}", {
        user: key.user,
        thread: key.thread,
        error,
      }),
  });
  // Attachments: files users send are downloaded for Messenger; Messenger's files are re-uploaded
  // to the configured XEP-0363 service (loopback downloads only for the simulated network).
  const MiB = 1024 * 1024;
  const allowPrivateHosts = config.messenger.backend === "simulated";
  const downloadTimeoutMs = config.messages.downloadTimeout * 1000;
  const rehost = config.messages.uploadService === undefined ? undefined : new AttachmentRehost({
    service: config.messages.uploadService,
    call: (iq) => router.call(iq),
    maxBytes: config.messages.uploadMaxSize * MiB,
    timeoutMs: downloadTimeoutMs,
    allowPrivateHosts,
  });
  const outgoing = new OutgoingMessages({
    queues,
    ids: messageIds,
    xmpp: senders,
    counters: gateway.counters,
    download: (url) =>
      boundedDownload(url, {
        maxBytes: config.messages.sendMaxSize * MiB,
        timeoutMs: downloadTimeoutMs,
        allowPrivateHosts,
      }),
    settings: {
      reconnectWaitMs: config.messages.reconnectWait * 1000,
      correctionPolicy: config.messages.correction,
      typingThrottleMs: 5000,
    },
  });
  const incoming = new IncomingEvents({
    queues,
    ids: messageIds,
    xmpp: senders,
    outgoing,
    counters: gateway.counters,
    ...(rehost ? { rehost: (attachment) => rehost.rehost(attachment) } : {}),
  });
  // Message requests first: a request's notice is queued ahead of its first message.
  const messageRequests = new MessageRequests({
    kv,
    queues,
    xmpp: senders,
    contactJid: (id) => senders.contactJid(id),
  });
  gateway.onMessengerEvent((session, event) => messageRequests.observe(session, event));
  gateway.onMessengerEvent((session, event) => incoming.accept(session, event));
  cleanUpOnUnregister(gateway, {
    queues,
    batcher,
    messageIds,
    messageRequests,
    incoming,
    outgoing,
  });
  registerContactDisco(router);
  registerUserMessages(router, { domain, gateway, outgoing });

  const commandContext: CommandContext = {
    gateway,
    kv,
    domain,
    software: { name: PROGRAM_NAME, version: VERSION },
    logLevel: runtimeLogLevel(config.log.level),
    messageRequests,
  };
  const commands: Command[] = gatewayCommands(commandContext);
  const caller = (fullJid: string): CommandCaller => {
    const bare = parseJid(fullJid)?.bare ?? fullJid;
    return {
      jid: bare,
      fullJid,
      isAdmin: gateway.isAdmin(bare),
      isRegistered: gateway.isRegistered(bare),
      isAllowed: gateway.isAllowed(bare),
    };
  };
  const sessionTimeoutMs = config.gateway.registrationTimeout * 1000;
  const adhoc = registerAdhocCommands(router, {
    domain,
    commands: () => commands,
    caller,
    sessionTimeoutMs,
  });
  const chat = registerChatCommands(router, {
    domain,
    commands: () => commands,
    caller,
    send,
    sessionTimeoutMs,
  });
  registerServiceDiscovery(router, {
    name: config.gateway.name,
    nodeInfo: adhoc.nodeInfo,
    nodeItems: adhoc.nodeItems,
  });
  registerInBandRegistration(router, {
    domain,
    form: {
      title: REGISTRATION_TITLE,
      instructions: IN_BAND_REGISTRATION_INSTRUCTIONS,
      fields: CREDENTIAL_FIELDS,
    },
    isRegistered: (jid) => gateway.isRegistered(jid),
    isAllowed: (jid) => gateway.isAllowed(jid),
    register: (jid, values) => registerInOneStep(commandContext, jid, values),
    unregister: (jid) => gateway.unregister(jid, "user"),
  });
  registerUserSearch(router, {
    isRegistered: (jid) => gateway.isRegistered(jid),
    search: (jid, query) => findUsers(commandContext, jid, query),
  });
  registerContactAddressing(router, {
    resolve: (jid, prompt) => contactJidFor(commandContext, jid, prompt),
  });
  registerPing(router);
  registerSoftwareVersion(router, { name: PROGRAM_NAME, version: VERSION });

  // Roster, presence and vCards. Privilege grants come from the server itself: the router hands
  // such messages here instead of to the chat commands.
  router.onServerMessage(({ stanza }) => {
    if (!privileges.handleMessage(stanza)) {
      mainLog.debug("Ignored a message from the server {from}", { from: stanza.attrs.from });
    }
  });
  const userPresence = new UserPresence({
    keepSessionsWhenOffline: config.gateway.keepSessionsWhenOffline,
    session: (jid) => gateway.session(jid),
  });
  const presenceHandling = registerPresenceHandling(router, {
    senders,
    presence: userPresence,
    session: (jid) => gateway.session(jid),
    sessions: () => gateway.sessions(),
    unregister: (jid) => gateway.unregister(jid, "unsubscribed"),
    send,
  });
  registerVcard(router, { name: config.gateway.name, contact: contactCard, avatars });
  connection.onOnline(() => {
    privileges.connectionOnline();
    void presenceHandling.probeUsers();
  });
  connection.onOffline(() => {
    privileges.connectionOffline();
    userPresence.reset();
  });

  connection.onStanza((stanza) => void router.handle(stanza));
  connection.start();
  await gateway.start();

  let stopped = false;
  return {
    failed: connection.failed,
    gateway,
    async stop() {
      if (stopped) return;
      stopped = true;
      adhoc.close();
      chat.close();
      try {
        await gateway.stop();
      } catch (error) {
        mainLog.warn("Could not end every Messenger session cleanly: {error}", { error });
      }
      try {
        if (connection.online) {
          // Servers do not mark a departed component's JIDs offline: every contact and the
          // gateway itself say goodbye, or rosters show them online while the gateway is down.
          for (const session of gateway.sessions()) {
            for (const contact of session.contacts) {
              await connection.send(
                xml("presence", {
                  type: "unavailable",
                  from: senders.contactJid(contact.id),
                  to: session.jid,
                }),
              );
            }
            await connection.send(
              xml("presence", { type: "unavailable", from: domain, to: session.jid }),
            );
          }
        }
      } catch (error) {
        mainLog.warn("Could not tell users the gateway stops: {error}", { error });
      }
      router.close();
      privileges.close();
      await connection.stop();
      await network.close().catch(() => {});
      await batcher.close();
      kv.close();
      mainLog.info("Stopped");
    },
  };
}
