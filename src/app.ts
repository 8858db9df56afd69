/**
 * Wires the rooms together for one running gateway: store, Messenger network, gateway core,
 * component connection, router and the XMPP features. `main.ts` only parses flags and turns
 * failures into exit codes; this is what a test or a benchmark starts in-process.
 *
 * @module
 */

import type { Config } from "./config/config.ts";
import type { UserId } from "./messenger/ids.ts";
import type { Attachment } from "./messenger/events.ts";
import type { ContactCard } from "./gateway/xmpp_port.ts";
import type { Element } from "./xmpp/xml.ts";
import {
  CREDENTIAL_FIELDS,
  IN_BAND_REGISTRATION_INSTRUCTIONS,
  REGISTRATION_TITLE,
} from "./gateway/commands/credentials_form.ts";
import { createCore } from "./gateway/core.ts";
import type { GatewayCore } from "./gateway/core_port.ts";
import type { DirectoryEntry } from "./gateway/conversation_directory.ts";
import type { Gateway } from "./gateway/gateway.ts";
import { mainLog } from "./log.ts";
import { LogThrottle } from "./log_throttle.ts";
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
import { registerPing } from "./xmpp/ping.ts";
import { messageRateLimit } from "./xmpp/message_rate_limit.ts";
import { YieldingSender } from "./xmpp/yielding_sender.ts";
import { Router } from "./xmpp/router.ts";
import { gatewayInfo, registerServiceDiscovery } from "./xmpp/service_discovery.ts";
import { registerSoftwareVersion } from "./xmpp/software_version.ts";
import { xml } from "./xmpp/xml.ts";
import { XmppSenders } from "./xmpp/xmpp_senders.ts";
import { AvatarCache } from "./xmpp/avatar_cache.ts";
import { AVATAR_LIMITS, fetchImage } from "./xmpp/image_fetch.ts";
import { AttachmentRehost } from "./xmpp/attachment_rehost.ts";
import { boundedDownload } from "./net/bounded_download.ts";
import { privateOrigins } from "./net/private_origins.ts";
import { registerPresenceHandling } from "./xmpp/presence_handling.ts";
import { Privileges } from "./xmpp/privileges.ts";
import { registerVcard } from "./xmpp/vcard.ts";
import { RoomOccupancy } from "./xmpp/room_occupancy.ts";
import { registerRoomHandling } from "./xmpp/room_handling.ts";
import { threadIdOf } from "./gateway/contact_ids.ts";

/** A running gateway. */
export interface App {
  /** Resolves if the XMPP server refused the component for good. */
  readonly failed: Promise<FatalConnectionError>;
  /** The gateway core (for in-process tests and benchmarks). */
  readonly gateway: Gateway;
  /** The core's entry for the XMPP side. */
  readonly core: GatewayCore;
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
  const maxStanzaBytes = config.component.maxStanzaSize * 1024;
  const connection = new ComponentConnection({
    domain,
    secret: config.component.secret.reveal(),
    server: config.component.server,
    port: config.component.port,
    maxStanzaBytes,
  });
  const send = (stanza: Parameters<typeof connection.send>[0]) => connection.send(stanza);
  // Private addresses are fetched only from the network's own file server (for URLs from
  // Messenger events) and the origins the admin listed; links users send, public ones only.
  const origins = privateOrigins({
    networkMedia: () => network.privateMediaOrigin,
    admin: config.messages.privateFileOrigins,
  });
  // XEP-0356 grants, contacts' and rooms' avatars and the senders that use them.
  const privileges = new Privileges();
  const avatars = new AvatarCache({
    fetch: (url) =>
      fetchImage(url, { ...AVATAR_LIMITS, privateOriginAllowed: origins.fromMessenger }),
  });
  const contactCard = (user: string, id: UserId): ContactCard | undefined =>
    core.port.user(user)?.contact(id);
  let gatewayCaps: string | undefined;
  let contactCaps: string | undefined;
  // Which resources are in which rooms: shared by the room handlers and the senders.
  const occupancy = new RoomOccupancy();
  const senders = new XmppSenders({
    occupancy,
    domain,
    name: config.gateway.name,
    group: config.roster.group,
    send,
    call: (iq: Element): Promise<Element> => router.call(iq),
    whenOnline: (timeoutMs) => connection.whenOnline(timeoutMs),
    privileges,
    avatars,
    maxStanzaBytes,
    contact: contactCard,
    // Hashed once: every feature is registered before the connection starts, and a hash per
    // presence was a sixth of a 1,000-user start.
    caps: {
      gateway: (): Element =>
        capsElement(gatewayCaps ??= capsVerification(gatewayInfo(router, config.gateway.name))),
      contact: (): Element => capsElement(contactCaps ??= capsVerification(contactInfo(router))),
    },
  });
  // Attachments: files users send are downloaded for Messenger; Messenger's files are re-uploaded
  // to the configured XEP-0363 service.
  const MiB = 1024 * 1024;
  const downloadTimeoutMs = config.messages.downloadTimeout * 1000;
  const rehost: AttachmentRehost | undefined = config.messages.uploadService === undefined
    ? undefined
    : new AttachmentRehost({
      service: config.messages.uploadService,
      call: (iq) => router.call(iq),
      maxBytes: config.messages.uploadMaxSize * MiB,
      timeoutMs: downloadTimeoutMs,
      privateOriginAllowed: origins.fromMessenger,
    });
  const core: ReturnType<typeof createCore> = createCore(config, {
    kv,
    network,
    xmpp: senders,
    software: { name: PROGRAM_NAME, version: VERSION },
    download: (url: string) =>
      boundedDownload(url, {
        maxBytes: config.messages.sendMaxSize * MiB,
        timeoutMs: downloadTimeoutMs,
        privateOriginAllowed: origins.fromUsers,
      }),
    ...(rehost ? { rehost: (attachment: Attachment) => rehost.rehost(attachment) } : {}),
  });
  const gateway: GatewayCore = core.port;
  const router: Router = new Router({
    domain,
    maxStanzaBytes,
    send,
    sendAll: (stanzas) => connection.sendAll(stanzas),
    isRegistered: (bareJid) => gateway.isRegistered(bareJid),
    // Rooms and contacts look alike (<digits>@domain): the user's directory says which it is.
    classify: (from, to) => {
      const thread = threadIdOf(to.local);
      if (!thread) return "contact";
      const entry = gateway.conversationAt(from.bare, thread);
      const kindOf = (known: DirectoryEntry) => known.kind === "group" ? "room" : "contact";
      return entry instanceof Promise ? entry.then(kindOf) : kindOf(entry);
    },
  });

  registerContactDisco(router);
  registerUserMessages(router, { domain, core: gateway });
  registerRoomHandling(router, {
    domain,
    core: gateway,
    occupancy,
    rooms: senders.rooms,
    avatars,
    send,
  });

  const sessionTimeoutMs = config.gateway.registrationTimeout * 1000;
  const adhoc = registerAdhocCommands(router, {
    domain,
    commands: () => gateway.commands(),
    caller: (fullJid) => gateway.caller(fullJid),
    sessionTimeoutMs,
  });
  const chat = registerChatCommands(router, {
    domain,
    commands: () => gateway.commands(),
    caller: (fullJid) => gateway.caller(fullJid),
    send,
    sessionTimeoutMs,
    maxStanzaBytes,
  });
  registerServiceDiscovery(router, {
    name: config.gateway.name,
    // The user's rooms: one per Messenger group they are in.
    items: async (bareJid) =>
      (await gateway.rooms(bareJid)).map((room) => ({
        jid: senders.rooms.roomJid(room.thread),
        ...(room.name === undefined ? {} : { name: room.name }),
      })),
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
    register: (jid, values) => gateway.register(jid, values),
    unregister: (jid) => gateway.unregister(jid, "user"),
  });
  registerUserSearch(router, {
    isRegistered: (jid) => gateway.isRegistered(jid),
    search: (jid, query) => gateway.search(jid, query),
  });
  registerContactAddressing(router, {
    resolve: (jid, prompt) => gateway.resolveContact(jid, prompt),
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
  const presenceHandling = registerPresenceHandling(router, { senders, core: gateway, send });
  registerVcard(router, { name: config.gateway.name, contact: contactCard, avatars });
  connection.onOnline(() => {
    privileges.connectionOnline();
    void presenceHandling.probeUsers();
  });
  connection.onOffline(() => {
    privileges.connectionOffline();
    gateway.resources.reset();
    occupancy.reset();
  });

  // One user's flood is refused at the door, before it costs anyone else anything.
  // Its error replies yield to everyone else's stanzas; its log lines come with a count.
  const yielding = new YieldingSender(connection);
  const refusals = new LogThrottle();
  const withinRate = messageRateLimit({
    domain,
    settings: { perSecond: config.messages.rateLimit, burst: config.messages.rateBurst },
    send: (stanza) => yielding.send(stanza),
    throttle: refusals,
  });
  connection.onStanza((stanza) => {
    if (withinRate(stanza)) void router.handle(stanza);
  });
  connection.start();
  await core.start();

  let stopped = false;
  return {
    failed: connection.failed,
    gateway: core.gateway,
    core: gateway,
    async stop() {
      if (stopped) return;
      stopped = true;
      adhoc.close();
      chat.close();
      await core.stop();
      try {
        if (connection.online) {
          // Servers do not mark a departed component's JIDs offline: every contact and the
          // gateway itself say goodbye, or rosters show them online while the gateway is down.
          for (const session of gateway.users()) {
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
      refusals.flush();
      privileges.close();
      await connection.stop();
      await network.close().catch(() => {});
      kv.close();
      mainLog.info("Stopped");
    },
  };
}
