/**
 * Whether a Messenger user is one of a gateway user's friends, for a subscription request: the
 * contacts of the last sync first (no IO), then Messenger itself for friends beyond the roster
 * limit (`roster.max_contacts`), when the session can ask.
 *
 * @module
 */

import type { UserId } from "../messenger/ids.ts";
import { capability, hasCapability, type MessengerSession } from "../messenger/session.ts";
import type { ContactCard } from "./xmpp_port.ts";

/** What the lookup needs of a user session. */
export interface FriendSource {
  contact(id: UserId): ContactCard | undefined;
  readonly messenger: MessengerSession | undefined;
}

/** The answer: a friend, somebody else (with a name when Messenger knows one), or unknowable. */
export type FriendLookup =
  | { kind: "friend"; card: ContactCard }
  | { kind: "not_friend"; name?: string }
  /** Not connected to Messenger, or Messenger could not say. */
  | { kind: "unknown" };

/** Looks a Messenger user up among the user's friends. */
export async function lookUpFriend(session: FriendSource, id: UserId): Promise<FriendLookup> {
  const card = session.contact(id);
  if (card) return { kind: "friend", card };
  const messenger = session.messenger;
  if (!messenger || !hasCapability(messenger, "getUserInfo")) return { kind: "unknown" };
  try {
    const [info] = await capability(messenger, "getUserInfo")([id]);
    if (!info) return { kind: "not_friend" };
    if (info.isFriend) {
      return {
        kind: "friend",
        card: { id, name: info.name, ...(info.avatarUrl ? { avatarUrl: info.avatarUrl } : {}) },
      };
    }
    return { kind: "not_friend", name: info.name };
  } catch {
    return { kind: "unknown" };
  }
}
