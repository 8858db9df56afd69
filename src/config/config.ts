/**
 * The typed configuration the whole program runs on.
 *
 * TOML keys are snake_case; the fields here are camelCase. Everything is resolved at load time
 * (defaults applied, regexes compiled, relative paths made absolute against the config file's
 * folder) so that no other module ever has to look at raw TOML.
 *
 * @module
 */

import type { Secret } from "../secret.ts";

/** Log levels an admin can pick; the same names as @logtape/logtape uses. */
export type LogLevel = "trace" | "debug" | "info" | "warning" | "error" | "fatal";

/** Which Messenger implementation the gateway talks to. */
export type MessengerBackend = "facebook" | "simulated";

/** How the gateway reaches the XMPP server (XEP-0114). */
export interface ComponentConfig {
  /** The component's domain, e.g. `facebook.example.org`. */
  jid: string;
  /** Shared secret; `MESSENGER_GATEWAY_SECRET` in the environment overrides the file. */
  secret: Secret;
  server: string;
  port: number;
  /** The largest stanza the gateway writes (KiB); servers close the stream over larger ones. */
  maxStanzaSize: number;
}

/** Who may use the gateway and where it keeps its state. */
export interface GatewayConfig {
  /** Shown in service discovery and as the gateway's roster name. */
  name: string;
  /** Bare JIDs with admin rights (lower-cased). */
  admins: string[];
  /** A bare JID may register when any of these matches it in full. */
  allowedJids: RegExp[];
  /** A local Deno KV file path (absolute) or a KV Connect `http(s)://` URL. */
  data: string;
  /** Seconds a multi-step registration (e.g. waiting for a 2FA code) may stay pending. */
  registrationTimeout: number;
  /** Milliseconds between two users' logins at startup, so a restart is no burst of logins. */
  loginStaggerMs: number;
  /** Keep a user's Messenger session connected while none of their XMPP clients is online. */
  keepSessionsWhenOffline: boolean;
}

/** How Messenger contacts appear in users' rosters. */
export interface RosterConfig {
  /** Roster group the contacts are put in. */
  group: string;
  /** At most this many contacts are added to a roster. */
  maxContacts: number;
}

/**
 * Which presence Messenger contacts show: `connected` (available while the user's Messenger
 * session is connected), `messenger` (Messenger's own online status) or `none` (always offline).
 */
export type ContactPresenceMode = "connected" | "messenger" | "none";

/** How Messenger contacts look to the user beyond the roster. */
export interface ContactsConfig {
  /** Where contacts' presence comes from. */
  presence: ContactPresenceMode;
}

/** How Messenger groups are bridged as rooms. */
export interface GroupsConfig {
  /** History messages a joining client gets when its join does not say. */
  joinHistory: number;
  /** Messages fetched from Messenger into a room's archive on its first join. */
  backfill: number;
  /** Days a room's archive keeps messages (0: none). */
  mamDays: number;
  /** Recent conversations looked through for groups at login. */
  syncLimit: number;
}

/** How 1:1 messages are bridged. */
export interface MessagesConfig {
  /** Messenger cannot edit: send corrections as new messages, or unsend the old one too. */
  correction: "resend" | "retract_and_resend";
  /** Seconds a message waits for a briefly disconnected Messenger session before failing. */
  reconnectWait: number;
  /**
   * The XEP-0363 upload service (a domain) Messenger attachments are re-uploaded to, so users get
   * links that do not expire; absent: Messenger's own links are sent.
   */
  uploadService?: string;
  /** Largest Messenger attachment re-uploaded (MiB); larger ones keep Messenger's link. */
  uploadMaxSize: number;
  /** Largest file a user may send to Messenger (MiB). */
  sendMaxSize: number;
  /** Seconds one attachment download (from Messenger or from a user's link) may take. */
  downloadTimeout: number;
  /**
   * Origins (`http(s)://host:port`) on a private network the gateway may download files from
   * anyway, e.g. the XMPP server's own upload service on the LAN. Nothing else private is fetched.
   */
  privateFileOrigins: string[];
  /**
   * Messages per second one user may keep sending through the gateway (0: no limit); more are
   * refused with `resource-constraint`, so one user's flood does not slow everyone.
   */
  rateLimit: number;
  /** Messages one user may send at once before {@link rateLimit} applies. */
  rateBurst: number;
}

/** Which Messenger network to use. */
export interface MessengerConfig {
  backend: MessengerBackend;
  /**
   * The browser the real network's client claims to be (HTTP `User-Agent`, also on the MQTT
   * websocket); absent: the adapter's current desktop Chrome.
   */
  userAgent?: string;
  /** Seconds between content checks of a session (0: off). */
  watchdogInterval: number;
  /** Recent conversations each check looks at. */
  watchdogThreads: number;
  /**
   * How many accounts of the real network share one fca Worker: the trade-off between memory
   * (a Worker costs ≈ 40 MiB, an account in it ≈ 1 MiB) and how many accounts one Worker's
   * crash or hang takes down together.
   */
  accountsPerWorker: number;
}

/** The simulated network, used when `messenger.backend` is `"simulated"`. */
export interface SimulatedConfig {
  /** Absolute path of the world file (accounts, friends, groups). */
  world: string;
  /** Optional loopback control API address. */
  control?: { hostname: string; port: number };
}

/** Logging settings. */
export interface LogConfig {
  level: LogLevel;
}

/** The whole, validated configuration. */
export interface Config {
  /** Absolute path of the file this was loaded from (for messages). */
  file: string;
  component: ComponentConfig;
  gateway: GatewayConfig;
  roster: RosterConfig;
  contacts: ContactsConfig;
  groups: GroupsConfig;
  messages: MessagesConfig;
  messenger: MessengerConfig;
  /** Present exactly when `messenger.backend` is `"simulated"`. */
  simulated?: SimulatedConfig;
  log: LogConfig;
}
