/**
 * Typed access to @xmpp/jid: parsing addresses and XEP-0106 escaping.
 *
 * Every JID the gateway reads from a stanza goes through {@link parseJid}, which never throws:
 * a malformed address is one user's bad input, answered with `jid-malformed`, not a crash.
 *
 * @module
 */

import untypedJid from "@xmpp/jid";

/** A parsed XMPP address; parts are normalised (domain lower-cased). */
export interface Jid {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;
  /** `local@domain` (or `domain`), without resource. */
  readonly bare: string;
  /** The full address as a string. */
  readonly full: string;
}

interface UntypedJid {
  getLocal(): string;
  getDomain(): string;
  getResource(): string;
  toString(): string;
}

type JidModule = ((address: string) => UntypedJid) & {
  escapeLocal(local: string): string;
  unescapeLocal(local: string): string;
};

const jidModule = untypedJid as unknown as JidModule;

/**
 * Addresses parsed lately, as the same few (a user's client, their contacts) arrive on every
 * stanza; parsing one through @xmpp/jid costs more than a whole message's routing otherwise.
 */
const recent = new Map<string, Jid | null>();
const RECENT_LIMIT = 4096;

/** Parses an address; `null` when it is missing or malformed. */
export function parseJid(address: string | undefined): Jid | null {
  if (!address || address.length > 3071) return null;
  let parsed = recent.get(address);
  if (parsed === undefined) {
    parsed = parseUncached(address);
    // Dropped wholesale when full: cheaper than keeping an order, and refilled at once.
    if (recent.size >= RECENT_LIMIT) recent.clear();
    recent.set(address, parsed);
  }
  return parsed;
}

function parseUncached(address: string): Jid | null {
  try {
    const parsed = jidModule(address);
    const local = parsed.getLocal() ?? "";
    const domain = (parsed.getDomain() ?? "").toLowerCase();
    const resource = parsed.getResource() ?? "";
    if (domain === "" || /[\s@/]/.test(domain) || /[\s@/"&'<>:]/.test(local)) return null;
    const bare = local ? `${local}@${domain}` : domain;
    return Object.freeze({
      local,
      domain,
      resource,
      bare,
      full: resource ? `${bare}/${resource}` : bare,
    });
  } catch {
    return null;
  }
}

/** XEP-0106 escaping of a localpart (e.g. a Messenger id that is not a plain number). */
export function escapeLocal(local: string): string {
  return jidModule.escapeLocal(local);
}

/** Reverses {@link escapeLocal}. */
export function unescapeLocal(local: string): string {
  return jidModule.unescapeLocal(local);
}
