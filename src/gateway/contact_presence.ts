/**
 * Which presence a user's Messenger contacts show, by the admin's `contacts.presence` setting:
 *
 * - `connected` (the default): every contact is available while the user's Messenger session is
 *   connected. Messenger is never asked who is online (presence polling is suspected of getting
 *   accounts locked), so this is the safe choice;
 * - `messenger`: Messenger's own presence updates ({@link PresenceEvent}) are shown; a contact
 *   nothing was heard of yet is unavailable;
 * - `none`: contacts are always unavailable.
 *
 * One instance per user session; it only remembers what Messenger said and answers "what should
 * the user see now" — sending is the session's business.
 *
 * @module
 */

import type { PresenceEvent } from "../messenger/events.ts";
import type { UserId } from "../messenger/ids.ts";
import type { PresenceState } from "./xmpp_port.ts";

/** Where contacts' presence comes from (`contacts.presence`). */
export type ContactPresenceMode = "connected" | "messenger" | "none";

/** The default mode: no Messenger presence traffic at all. */
export const DEFAULT_CONTACT_PRESENCE: ContactPresenceMode = "connected";

/** How many contacts' Messenger presence is remembered at most (oldest forgotten first). */
const MAX_REMEMBERED = 5000;

/** One user's view of their contacts' presence. */
export class ContactPresences {
  readonly mode: ContactPresenceMode;
  #online = new Map<UserId, { online: boolean; lastActive?: number }>();

  constructor(mode: ContactPresenceMode = DEFAULT_CONTACT_PRESENCE) {
    this.mode = mode;
  }

  /** What the user should see of `contact` now, given whether Messenger is connected. */
  of(contact: UserId, connected: boolean): PresenceState {
    switch (this.mode) {
      case "none":
        return { available: false };
      case "connected":
        return { available: connected };
      case "messenger": {
        const known = this.#online.get(contact);
        if (connected && known?.online) return { available: true };
        if (known?.lastActive !== undefined) {
          return { available: false, status: `Last active ${lastActiveText(known.lastActive)}` };
        }
        return { available: false };
      }
    }
  }

  /**
   * Records a Messenger presence update; true when the user should be told (only in `messenger`
   * mode, and only when it changes what they see).
   */
  record(event: PresenceEvent): boolean {
    if (this.mode !== "messenger") return false;
    const before = this.#online.get(event.actor);
    this.#online.delete(event.actor);
    this.#online.set(event.actor, {
      online: event.online,
      ...(event.lastActive === undefined ? {} : { lastActive: event.lastActive }),
    });
    if (this.#online.size > MAX_REMEMBERED) {
      const oldest = this.#online.keys().next().value;
      if (oldest !== undefined) this.#online.delete(oldest);
    }
    return before?.online !== event.online ||
      (!event.online && before?.lastActive !== event.lastActive);
  }

  /**
   * Forgets Messenger's presence updates (the session disconnected: what it said may be stale by
   * the time it is back, and Messenger sends the full list again on reconnection).
   */
  reset(): void {
    this.#online.clear();
  }

  /** True when contacts are shown available at times, so going offline must be told. */
  get showsAvailability(): boolean {
    return this.mode !== "none";
  }
}

/** A last-active time as a short UTC text, e.g. `2023-11-14 22:13 UTC`. */
function lastActiveText(ms: number): string {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return "some time ago";
  return `${date.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
