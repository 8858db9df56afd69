/**
 * Every configuration key, in one table: its type, default, validation and documentation.
 *
 * To add a key: add the field to the matching interface in `config.ts`, add one entry here (the
 * compiler insists, because {@link Schema} is derived from `Config`), and document it in
 * `config.example.toml` (a test insists). The TOML spelling is the field's name in snake_case.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { Secret } from "../secret.ts";
import type { LogLevel, MessengerBackend } from "./config.ts";
import {
  choice,
  flag,
  integer,
  type KeyContext,
  type KeySpec,
  list,
  reject,
  Rejection,
  type SectionName,
  type SectionType,
  text,
  tomlName,
} from "./spec.ts";

/** One TOML table: what it is for, its keys, and whether it belongs in the result. */
export interface SectionSpec<T> {
  /** What the table is for. */
  readonly doc: string;
  /** One entry per field of the table's `Config` interface. */
  readonly keys: { readonly [K in keyof T]-?: KeySpec<T[K]> };
  /**
   * Whether the table is part of the resulting `Config` (it is validated either way, so typos do
   * not hide); always, when absent.
   */
  readonly include?: (ctx: KeyContext) => boolean;
}

/** The shape of the schema: exactly one {@link SectionSpec} per `Config` table. */
export type Schema = { readonly [S in SectionName]-?: SectionSpec<SectionType<S>> };

/** Where the gateway keeps its state when `gateway.data` is not set. */
export const DEFAULT_DATA_PATH = "/var/lib/messenger-gateway/gateway.kv";

/** The environment variable that overrides `component.secret`. */
export const SECRET_ENV = "MESSENGER_GATEWAY_SECRET";

const LOG_LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warning", "error", "fatal"];
const BACKENDS: readonly MessengerBackend[] = ["facebook", "simulated"];

const LABEL = /^[\p{L}\p{N}_](?:[\p{L}\p{N}_-]{0,61}[\p{L}\p{N}_])?$/u;

/** Whether `s` is a plain domain name (no `@`, `/`, port, spaces or empty labels). */
export function isDomain(s: string): boolean {
  return s.length > 0 && s.length <= 253 && s.split(".").every((l) => LABEL.test(l));
}

function domain(s: string): string | Rejection {
  const d = s.trim().toLowerCase();
  if (d.includes("@")) return reject('a domain has no "@"; use the component\'s domain, not a JID');
  if (d.includes("/")) return reject('a domain has no "/"');
  return isDomain(d) ? d : reject();
}

function nonEmpty(s: string): string | Rejection {
  const t = s.trim();
  return t === "" ? reject() : t;
}

function secretValue(s: string): Secret | Rejection {
  // Kept verbatim: whitespace may be part of a shared secret.
  return s === "" ? reject() : new Secret(s);
}

function userAgent(s: string): string | Rejection {
  const t = s.trim();
  if (t === "") return reject();
  // It goes into an HTTP header as it is.
  if (!/^[\x20-\x7e]+$/.test(t)) return reject("only printable ASCII characters on one line");
  return t.length > 512 ? reject("it is longer than 512 characters") : t;
}

function host(s: string): string | Rejection {
  const t = s.trim();
  return t === "" || /[\s/@]/.test(t) ? reject() : t;
}

// Characters RFC 7622 forbids in a localpart.
const BAD_LOCAL = /[\s"&'/:<>@]/u;

function bareJid(s: string): string | Rejection {
  const j = s.trim().toLowerCase();
  const at = j.indexOf("@");
  if (j.includes("/")) return reject("a bare JID has no /resource");
  if (at <= 0) return reject('it needs a "user@" part');
  const local = j.slice(0, at);
  const dom = j.slice(at + 1);
  if (BAD_LOCAL.test(local) || !isDomain(dom)) return reject();
  return j;
}

/** Escapes `s` for literal use inside a regular expression. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, "\\$&");
}

/** Compiles an allowed-JID pattern so that it must match the whole (lower-cased) bare JID. */
export function anchoredJidPattern(source: string): RegExp {
  return new RegExp(`^(?:${source})$`, "i");
}

function jidPattern(source: string): RegExp | Rejection {
  try {
    new RegExp(source, "i");
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // V8 says "Invalid regular expression: /<source>/<flags>: <reason>"; keep just the reason.
    const reason = message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, "");
    return reject(reason);
  }
  return anchoredJidPattern(source);
}

/**
 * The domain whose users may register by default: the component's parent domain
 * (`facebook.example.org` → `example.org`), or the component's own domain if it has no dot.
 */
export function parentDomain(componentDomain: string): string {
  const dot = componentDomain.indexOf(".");
  return dot < 0 ? componentDomain : componentDomain.slice(dot + 1);
}

/** The default of `gateway.allowed_jids`: any user of {@link parentDomain}. */
export function parentDomainPattern(componentDomain: string): RegExp {
  return anchoredJidPattern(`[^@/\\s]+@${escapeRegExp(parentDomain(componentDomain))}`);
}

function path(s: string, ctx: KeyContext): string | Rejection {
  const t = s.trim();
  if (t === "") return reject();
  return isAbsolute(t) ? resolve(t) : resolve(ctx.dir, t);
}

function dataLocation(s: string, ctx: KeyContext): string | Rejection {
  const t = s.trim();
  if (/^https?:\/\//i.test(t)) {
    try {
      new URL(t);
    } catch {
      return reject("not a valid URL");
    }
    return t;
  }
  if (t === ":memory:") return t;
  return path(t, ctx);
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function loopbackAddress(s: string): { hostname: string; port: number } | Rejection {
  const t = s.trim();
  let hostname: string;
  let portText: string;
  if (t.startsWith("[")) {
    const m = /^\[([^\]]*)\]:(.*)$/.exec(t);
    if (!m) return reject('write an IPv6 host as "[::1]:port"');
    let normal: string;
    try {
      normal = new URL(`http://[${m[1]}]/`).hostname;
    } catch {
      return reject(`"${m[1]}" is not an IPv6 address`);
    }
    if (normal !== "[::1]") return reject(`${m[1]} is not a loopback address`);
    hostname = "::1";
    portText = m[2];
  } else {
    const colon = t.lastIndexOf(":");
    if (colon < 0) return reject("the port is missing");
    hostname = t.slice(0, colon).toLowerCase();
    portText = t.slice(colon + 1);
    if (hostname.includes(":")) return reject('write an IPv6 host as "[::1]:port"');
    const m = IPV4.exec(hostname);
    if (m) {
      const octets = m.slice(1).map(Number);
      if (octets.some((o) => o > 255)) return reject(`"${hostname}" is not an IPv4 address`);
      if (octets[0] !== 127) return reject(`${hostname} is not a loopback address`);
    } else if (hostname !== "localhost") {
      return reject(`${hostname || "an empty host"} is not a loopback address`);
    }
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    return reject("the port must be an integer from 0 to 65535");
  }
  return { hostname, port: Number(portText) };
}

/** An `http(s)://host[:port]` origin, as `URL.origin` writes it (default ports dropped). */
function origin(s: string): string | Rejection {
  let url: URL;
  try {
    url = new URL(s.trim());
  } catch {
    return reject("it is not a URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return reject("http or https only");
  if (url.username || url.password || url.search || url.hash || url.pathname !== "/") {
    return reject("an origin has no path, query or credentials");
  }
  return url.origin;
}

/** The control API's address, which the gateway must never be allowed to fetch. */
function controlAddress(
  s: string,
  ctx: KeyContext,
): { hostname: string; port: number } | Rejection {
  const address = loopbackAddress(s);
  if (address instanceof Rejection) return address;
  const host = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname;
  const listed = ctx.get("messages", "privateFileOrigins") ?? [];
  if (
    listed.some((o) =>
      o === `http://${host}:${address.port}` || o === `https://${host}:${address.port}`
    )
  ) {
    return reject("it is also in messages.private_file_origins: the gateway must never fetch it");
  }
  return address;
}

const simulatedBackend = (ctx: KeyContext) => ctx.get("messenger", "backend") === "simulated";

/** The configuration schema: every table and key the gateway understands. */
export const SCHEMA: Schema = {
  component: {
    doc: "How the gateway connects to the XMPP server as an external component (XEP-0114).",
    keys: {
      jid: text({
        doc: "The component's domain, as configured on the XMPP server.",
        expect: 'a domain name such as "facebook.example.org"',
        map: domain,
      }),
      secret: text({
        doc: `The shared secret agreed with the XMPP server; ${SECRET_ENV} overrides it.`,
        expect: "a non-empty string",
        env: SECRET_ENV,
        secret: true,
        map: secretValue,
      }),
      server: text({
        doc: "Host name or IP address of the XMPP server's component port.",
        default: "127.0.0.1",
        expect: "a host name or IP address",
        map: host,
      }),
      port: integer({
        doc: "The XMPP server's component port.",
        default: 5347,
        min: 1,
        max: 65535,
      }),
      maxStanzaSize: integer({
        doc: "The largest stanza, in KiB, the gateway sends; keep it below the XMPP server's " +
          "limit for components (Prosody: 512 KiB).",
        default: 256,
        min: 16,
        max: 16384,
      }),
    },
  },
  gateway: {
    doc: "Who may use the gateway and where it keeps its state.",
    keys: {
      name: text({
        doc: "Shown in service discovery and as the gateway's roster name.",
        default: "Facebook Messenger",
        expect: "a non-empty string",
        map: nonEmpty,
      }),
      admins: list({
        doc: "Bare JIDs with admin rights.",
        default: [],
        expect: 'a list of bare JIDs such as ["admin@example.org"]',
        item: bareJid,
      }),
      allowedJids: list({
        doc: "Regular expressions; a bare JID may register when one matches it in full. " +
          "Defaults to any user of the component's parent domain.",
        default: (ctx) => {
          const jid = ctx.get("component", "jid");
          return jid === undefined ? [] : [parentDomainPattern(jid)];
        },
        expect: "a list of regular expressions",
        item: jidPattern,
      }),
      data: text({
        doc: "Deno KV database: a file path (relative to this file) or a KV Connect URL.",
        default: DEFAULT_DATA_PATH,
        expect: 'a file path or an "http(s)://" URL',
        map: dataLocation,
      }),
      registrationTimeout: integer({
        doc: "Seconds a multi-step registration (waiting for a two-factor code) may stay pending.",
        default: 600,
        min: 30,
        max: 86400,
      }),
      loginStaggerMs: integer({
        doc: "Milliseconds between two users' Facebook logins at startup (no burst of logins); " +
          "the simulated backend logs everyone in at once.",
        default: 2000,
        min: 0,
        max: 600000,
      }),
      keepSessionsWhenOffline: flag({
        doc: "Keep Messenger sessions connected while the user has no XMPP client online.",
        default: true,
      }),
    },
  },
  roster: {
    doc: "How Messenger contacts appear in users' rosters.",
    keys: {
      group: text({
        doc: "Roster group the Messenger contacts are put in.",
        default: "Messenger",
        expect: "a non-empty string",
        map: nonEmpty,
      }),
      maxContacts: integer({
        doc: "At most this many contacts are added to a user's roster.",
        default: 100,
        min: 0,
        max: 5000,
      }),
    },
  },
  contacts: {
    doc: "How Messenger contacts look to the user beyond the roster.",
    keys: {
      presence: choice({
        doc: '"connected": contacts are available while the Messenger session is connected; ' +
          '"messenger": Messenger\'s own online status (a lock risk); "none": always offline.',
        default: "connected",
        values: ["connected", "messenger", "none"] as const,
      }),
    },
  },
  groups: {
    doc: "How Messenger groups are bridged as group chats (XEP-0045 rooms).",
    keys: {
      joinHistory: integer({
        doc: "Messages of history a client gets when it joins a room and does not say how many.",
        default: 20,
        min: 0,
        max: 1000,
      }),
      backfill: integer({
        doc: "Messages fetched from Messenger into a room's archive the first time it is joined.",
        default: 50,
        min: 0,
        max: 500,
      }),
      mamDays: integer({
        doc: "Days a room's archive (XEP-0313) keeps messages; 0 keeps nothing.",
        default: 30,
        min: 0,
        max: 3650,
      }),
      syncLimit: integer({
        doc: "Recent conversations looked through for groups at each login (for bookmarks).",
        default: 50,
        min: 0,
        max: 500,
      }),
    },
  },
  messages: {
    doc: "How 1:1 messages are bridged.",
    keys: {
      correction: choice({
        doc: 'Messenger cannot edit messages: "resend" sends a correction as a new message, ' +
          '"retract_and_resend" also unsends the corrected one.',
        default: "resend",
        values: ["resend", "retract_and_resend"] as const,
      }),
      reconnectWait: integer({
        doc: "Seconds a message waits for a briefly disconnected Messenger session.",
        default: 60,
        min: 0,
        max: 3600,
      }),
      uploadService: text({
        doc: "XEP-0363 upload service that Messenger attachments are re-uploaded to, so links " +
          "do not expire; absent: Messenger's links are sent as they are.",
        required: false,
        expect: 'a domain name such as "upload.example.org"',
        map: domain,
      }),
      uploadMaxSize: integer({
        doc: "Largest Messenger attachment re-uploaded, in MiB; larger ones keep Messenger's link.",
        default: 25,
        min: 1,
        max: 1024,
      }),
      sendMaxSize: integer({
        doc: "Largest file, in MiB, a user may send to Messenger (Messenger's own limit is 25).",
        default: 25,
        min: 1,
        max: 100,
      }),
      downloadTimeout: integer({
        doc: "Seconds one attachment download (from Messenger or a user's link) may take.",
        default: 60,
        min: 1,
        max: 3600,
      }),
      rateLimit: integer({
        doc: "Messages per second one user may keep sending through the gateway (to contacts, " +
          "rooms and the gateway itself); more are refused with an error asking to slow down, " +
          "so that one user's flood does not slow everyone. 0 turns the limit off.",
        default: 20,
        min: 0,
        max: 100000,
      }),
      rateBurst: integer({
        doc: "Messages one user may send at once before rate_limit applies.",
        default: 100,
        min: 1,
        max: 1000000,
      }),
      privateFileOrigins: list({
        doc: "Origins on a private network files may be downloaded from anyway, such as your " +
          "XMPP server's own upload service on the LAN; any other private address is refused.",
        default: [],
        expect: 'a list of origins such as ["http://10.0.0.5:5280"]',
        item: origin,
      }),
    },
  },
  messenger: {
    doc: "Which Messenger network to talk to.",
    keys: {
      backend: choice({
        doc: '"facebook" for the real network, "simulated" for a local fake one.',
        default: "facebook",
        values: BACKENDS,
      }),
      userAgent: text({
        doc: "The browser the Facebook client claims to be; absent: a current desktop Chrome.",
        required: false,
        expect: "a browser user agent (printable ASCII on one line, at most 512 characters)",
        map: userAgent,
      }),
      watchdogInterval: integer({
        doc: "Seconds between checks that Messenger's newest messages reached the user (a " +
          "connected but silent session is restarted and what it missed fetched); 0 turns it off.",
        default: 300,
        min: 0,
        max: 86400,
      }),
      watchdogThreads: integer({
        doc: "Most recent conversations looked at by each of those checks.",
        default: 5,
        min: 1,
        max: 50,
      }),
      accountsPerWorker: integer({
        doc: "How many Messenger accounts share one fca Worker: more use less memory, fewer are " +
          "taken down together when a Worker crashes or hangs (1: a Worker each).",
        // The fca adapter's own default (DEFAULT_ACCOUNTS_PER_WORKER; a test keeps them equal).
        default: 10,
        min: 1,
        max: 100,
      }),
    },
  },
  simulated: {
    doc: 'The simulated network, used only when messenger.backend is "simulated".',
    include: simulatedBackend,
    keys: {
      world: text({
        doc: "The world file (accounts, friends, groups), relative to this file.",
        required: simulatedBackend,
        expect: "a file path",
        map: path,
      }),
      control: text({
        doc: 'Optional "host:port" for the control API; the host must be loopback.',
        required: false,
        expect: 'a loopback "host:port" such as "127.0.0.1:7777"',
        map: controlAddress,
      }),
    },
  },
  log: {
    doc: "Logging.",
    keys: {
      level: choice({
        doc: "The least severe level that is logged.",
        default: "info",
        values: LOG_LEVELS,
      }),
    },
  },
};

/** A flat view of one key, for docs, tests and "did you mean" suggestions. */
export interface KeyInfo {
  /** The `Config` table, e.g. `"gateway"`. */
  readonly section: SectionName;
  /** The `Config` field, e.g. `"allowedJids"`. */
  readonly field: string;
  /** The dotted TOML name, e.g. `"gateway.allowed_jids"`. */
  readonly name: string;
  /** The key's specification. */
  readonly spec: KeySpec<unknown>;
}

/** Every key of {@link SCHEMA} in order, flattened; tests use it to keep docs from drifting. */
export function schemaKeys(): KeyInfo[] {
  const out: KeyInfo[] = [];
  for (const section of Object.keys(SCHEMA) as SectionName[]) {
    const keys: Record<string, KeySpec<unknown>> = SCHEMA[section].keys;
    for (const [field, spec] of Object.entries(keys)) {
      out.push({ section, field, name: `${tomlName(section)}.${tomlName(field)}`, spec });
    }
  }
  return out;
}
