/**
 * The one mapping between Messenger ids and the local parts of contact JIDs.
 *
 * Contact JIDs are `<messenger id>@<gateway domain>`. Messenger ids are digits today, but the
 * mapping escapes anything else per XEP-0106 (through @xmpp/jid), so an odd id can never produce
 * an invalid or colliding JID.
 *
 * @module
 */

import untypedJid from "@xmpp/jid";
import { asThreadId, asUserId, type ThreadId, type UserId } from "../messenger/ids.ts";

const jidModule = untypedJid as unknown as {
  escapeLocal(local: string): string;
  unescapeLocal(local: string): string;
};

/** The JID local part for a Messenger user or thread id. */
export function localPartOf(id: UserId | ThreadId): string {
  return /^[0-9A-Za-z_.-]+$/.test(id) ? id.toLowerCase() : jidModule.escapeLocal(id);
}

/** The contact JID of a Messenger user (or thread) under the gateway's domain. */
export function contactJidOf(id: UserId | ThreadId, domain: string): string {
  return `${localPartOf(id)}@${domain}`;
}

/** The Messenger user id a contact JID local part stands for; null when it cannot be one. */
export function userIdOf(localPart: string): UserId | null {
  const raw = unescaped(localPart);
  return isMessengerId(raw) ? asUserId(raw) : null;
}

/** The thread id a contact or room JID local part stands for; null when it cannot be one. */
export function threadIdOf(localPart: string): ThreadId | null {
  const raw = unescaped(localPart);
  return isMessengerId(raw) ? asThreadId(raw) : null;
}

/** XEP-0106 unescaping, skipped for the usual local part without a backslash (every stanza). */
function unescaped(localPart: string): string {
  return localPart.includes("\\") ? jidModule.unescapeLocal(localPart) : localPart;
}

/** Messenger user and thread ids: digits (pages and users alike), bounded in length. */
function isMessengerId(raw: string): boolean {
  return /^[0-9]{1,25}$/.test(raw);
}
