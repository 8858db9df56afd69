/**
 * XEP-0356 privileged entity: what the XMPP server lets the gateway do for its users.
 *
 * The server announces the grant in a `<message from="<server>"><privilege><perm …/>` right after
 * the component connected, again after every reconnect, and once per virtual host that grants
 * something: permissions are therefore kept per server domain, so a user on a host that granted
 * nothing is served by the fallbacks (subscription requests) while others get roster pushes.
 *
 * Senders must not decide before the grant arrived: {@link Privileges.settled} resolves once the
 * server said what it grants, or after a grace period when it grants nothing (a server without
 * XEP-0356 sends no message at all).
 *
 * @module
 */

import { xmppLog } from "../log.ts";
import { NS_PRIVILEGE } from "./namespaces.ts";
import type { Element } from "./xml.ts";

/** The first version of XEP-0356, still sent by older servers (ejabberd before 23.10). */
const NS_PRIVILEGE_1 = "urn:xmpp:privilege:1";

/** Roster access the server granted (RFC 6121 roster of the server's users). */
export type RosterAccess = "none" | "get" | "set" | "both";
/** Message access: `outgoing` lets the gateway send messages on behalf of users (carbons). */
export type MessageAccess = "none" | "outgoing";
/** Presence access: `roster` also gives presences of the users' contacts. */
export type PresenceAccess = "none" | "managed_entity" | "roster";

/** Iq access for one namespace: which iq types the gateway may send on behalf of users. */
export type IqAccess = "get" | "set" | "both";

/** What one server granted. */
export interface ServerPrivileges {
  roster: RosterAccess;
  message: MessageAccess;
  presence: PresenceAccess;
  /** Iq namespaces the gateway may use on behalf of users (XEP-0356 v2 `iq` permission). */
  iq: ReadonlyMap<string, IqAccess>;
  /** The XEP-0356 namespace the grant came in: privileged messages must use the same one. */
  namespace: string;
}

const NOTHING: ServerPrivileges = {
  roster: "none",
  message: "none",
  presence: "none",
  iq: new Map(),
  namespace: NS_PRIVILEGE,
};
const IQ: readonly string[] = ["get", "set", "both"];
const ROSTER: readonly string[] = ["none", "get", "set", "both"];
const MESSAGE: readonly string[] = ["none", "outgoing"];
const PRESENCE: readonly string[] = ["none", "managed_entity", "roster"];

/** Options of {@link Privileges}. */
export interface PrivilegesOptions {
  /** How long to wait after coming online for a grant before deciding there is none (ms). */
  graceMs?: number;
  /** After a first grant, how long to wait for the grants of other virtual hosts (ms). */
  collectMs?: number;
}

/** The privileges granted by the server(s), per server domain. */
export class Privileges {
  #granted = new Map<string, ServerPrivileges>();
  #graceMs: number;
  #collectMs: number;
  #settled = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #waiters: (() => void)[] = [];

  constructor(options: PrivilegesOptions = {}) {
    this.#graceMs = options.graceMs ?? 2000;
    this.#collectMs = options.collectMs ?? 100;
  }

  /**
   * Reads a message from a server; true when it was a privilege grant (then it is consumed:
   * nothing else must answer it). Never throws.
   */
  handleMessage(stanza: Element): boolean {
    const privilege = stanza.getChild("privilege", NS_PRIVILEGE) ??
      stanza.getChild("privilege", NS_PRIVILEGE_1);
    const server = stanza.attrs.from?.toLowerCase();
    if (!privilege || !server || /[@/]/.test(server)) return false;
    const iq = new Map<string, IqAccess>();
    const granted: ServerPrivileges = {
      ...NOTHING,
      iq,
      namespace: privilege.attrs.xmlns ?? NS_PRIVILEGE,
    };
    for (const perm of privilege.getChildren("perm")) {
      const access = perm.attrs.access;
      const type = perm.attrs.type ?? "none";
      if (access === "roster" && ROSTER.includes(type)) granted.roster = type as RosterAccess;
      else if (access === "message" && MESSAGE.includes(type)) {
        granted.message = type as MessageAccess;
      } else if (access === "presence" && PRESENCE.includes(type)) {
        granted.presence = type as PresenceAccess;
      } else if (access === "iq") {
        for (const namespace of perm.getChildren("namespace")) {
          const ns = namespace.attrs.ns;
          const nsType = namespace.attrs.type ?? "";
          if (ns && IQ.includes(nsType)) iq.set(ns, nsType as IqAccess);
        }
      }
    }
    this.#granted.set(server, granted);
    xmppLog.info(
      "The XMPP server {server} grants the gateway roster={roster}, message={message}, " +
        "presence={presence}, iq={iq} (XEP-0356)",
      {
        server,
        roster: granted.roster,
        message: granted.message,
        presence: granted.presence,
        iq: [...iq].map(([ns, type]) => `${ns}:${type}`).join(",") || "none",
      },
    );
    if (!this.#settled) this.#settleIn(this.#collectMs);
    return true;
  }

  /** What the server of `userJid` (a bare or full JID, or a domain) granted. */
  of(userJid: string): ServerPrivileges {
    return this.#granted.get(serverOf(userJid)) ?? NOTHING;
  }

  /** True when the gateway may edit the roster of this user. */
  canSetRoster(userJid: string): boolean {
    const roster = this.of(userJid).roster;
    return roster === "set" || roster === "both";
  }

  /** True when the gateway may read the roster of this user. */
  canGetRoster(userJid: string): boolean {
    const roster = this.of(userJid).roster;
    return roster === "get" || roster === "both";
  }

  /** True when the gateway may send iqs of `type` in namespace `ns` on behalf of this user. */
  canSendIq(userJid: string, ns: string, type: "get" | "set"): boolean {
    const access = this.of(userJid).iq.get(ns);
    return access === "both" || access === type;
  }

  /** True when the gateway may send messages on behalf of this user. */
  canSendAs(userJid: string): boolean {
    return this.of(userJid).message === "outgoing";
  }

  /** True once the grants of the current connection are known (or known to be absent). */
  get isSettled(): boolean {
    return this.#settled;
  }

  /** Resolves once the grants of the current connection are known. */
  settled(): Promise<void> {
    if (this.#settled) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Like {@link settled}, but gives up waiting after `ms` (senders must not hang on it). */
  async settledWithin(ms: number): Promise<void> {
    if (this.#settled) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.settled(),
      new Promise((resolve) => (timer = setTimeout(resolve, ms))),
    ]);
    clearTimeout(timer);
  }

  /** The component is online: without a grant within the grace period, there is none. */
  connectionOnline(): void {
    if (this.#settled || this.#timer !== undefined) return;
    this.#settleIn(this.#graceMs);
  }

  /** The component went offline: grants are sent again after the reconnect. */
  connectionOffline(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#settled = false;
    this.#granted.clear();
  }

  /** Stops the timer (shutdown); waiters are released. */
  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#settle(false);
  }

  #settleIn(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#settle(true), ms);
  }

  /** `decided`: the grace period ended while connected (not a shutdown releasing waiters). */
  #settle(decided: boolean): void {
    this.#timer = undefined;
    if (this.#settled) return;
    this.#settled = true;
    if (decided && this.#granted.size === 0) {
      xmppLog.info(
        "The XMPP server grants the gateway no privileges (XEP-0356): contacts are offered to " +
          "users with subscription requests instead of being put into their rosters",
      );
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** The server domain of a JID. */
function serverOf(jid: string): string {
  const bare = jid.split("/")[0];
  const at = bare.lastIndexOf("@");
  return (at >= 0 ? bare.slice(at + 1) : bare).toLowerCase();
}
