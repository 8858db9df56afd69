/**
 * The XMPP side of {@link XmppPort}: turns what the gateway core wants users to see into
 * presences, messages and roster changes.
 *
 * Contacts reach the user's roster in one of two ways, decided per user's server once its
 * XEP-0356 grant is known:
 * - with the roster privilege, items (`subscription="both"`, in the configured group) are set in
 *   the roster directly; items the user already has are left alone, so names or groups they
 *   changed survive a restart;
 * - without it (or when the server refuses the push), the gateway and each contact send a
 *   `subscribe` presence whose status says why the user is asked.
 *
 * The last presence sent to each user is remembered, so a contact's presence can be sent again
 * when its avatar hash becomes known (XEP-0153), and the gateway's after a roster push.
 *
 * @module
 */

import { contactJidOf } from "../gateway/contact_ids.ts";
import type {
  Chat,
  ChatMessage,
  ContactCard,
  MessageFailure,
  PresenceState,
  RoomCard,
  RoomChange,
  Speaker,
  XmppPort,
} from "../gateway/xmpp_port.ts";
import { RoomOccupancy } from "./room_occupancy.ts";
import { RoomSenders } from "./room_senders.ts";
import { Bookmarks } from "./bookmarks.ts";
import { xmppLog } from "../log.ts";
import { asUserId, type UserId } from "../messenger/ids.ts";
import type { AvatarCache, AvatarHint } from "./avatar_cache.ts";
import { ContactMessages } from "./contact_messages.ts";
import {
  fetchRoster,
  type IqCaller,
  type RosterItem,
  RosterRequestFailed,
  setRosterItem,
} from "./privileged_roster.ts";
import {
  presenceStanza,
  subscriptionPresence,
  type SubscriptionReason,
  subscriptionRequest,
} from "./presence_stanzas.ts";
import type { Privileges } from "./privileges.ts";
import { type Element, xml } from "./xml.ts";

/** What the senders need. */
export interface XmppSendersOptions {
  /** The component's domain. */
  domain: string;
  /** The gateway's name (roster name of the gateway JID). */
  name: string;
  /** The roster group contacts (and the gateway) are put in. */
  group: string;
  /** Sends a stanza; never throws (false when the connection is down). */
  send: (stanza: Element) => Promise<unknown>;
  /** Resolves true once the component is online, false after `timeoutMs` (default: always true). */
  whenOnline?: (timeoutMs: number) => Promise<boolean>;
  /** Sends an iq and resolves with its reply (the router's `call`). */
  call: IqCaller;
  /** What the users' servers granted (XEP-0356). */
  privileges: Privileges;
  /** Contacts' avatars; without it presences carry no XEP-0153 hash. */
  avatars?: AvatarCache;
  /** A user's contact card by Messenger id (its avatar URL), when known. */
  contact?: (user: string, id: UserId) => ContactCard | undefined;
  /** Bound on waiting for the grants before removing contacts (ms); default 5 s. */
  removalWaitMs?: number;
  /** XEP-0115 `<c/>` elements for the gateway's and the contacts' available presences. */
  caps?: { gateway(): Element; contact(): Element };
  /** Which resources are in which rooms (shared with the room handlers). */
  occupancy?: RoomOccupancy;
  /** The stanza size cap (bytes): longer texts are split to stay under it. */
  maxStanzaBytes?: number;
}

interface LastPresences {
  gateway?: PresenceState;
  contacts: Map<UserId, PresenceState>;
}

/** How long a gateway chat message waits for the XMPP server, per attempt (ms). */
const NOTICE_WAIT_MS = 10 * 60_000;
/** Attempts at sending one gateway chat message when the connection drops meanwhile. */
const NOTICE_ATTEMPTS = 3;

/** Implements the core's {@link XmppPort} with stanzas. */
export class XmppSenders implements XmppPort {
  #options: XmppSendersOptions;
  #last = new Map<string, LastPresences>();
  #messages: ContactMessages;
  /** Per user, the gateway's chat messages still on their way (kept in order). */
  #notices = new Map<string, Promise<void>>();
  /** What happens in rooms, sent to the resources in them. */
  readonly rooms: RoomSenders;
  #bookmarks: Bookmarks;

  constructor(options: XmppSendersOptions) {
    this.#options = options;
    this.#bookmarks = new Bookmarks({
      domain: options.domain,
      privileges: options.privileges,
      call: options.call,
      send: options.send,
    });
    this.rooms = new RoomSenders({
      domain: options.domain,
      send: options.send,
      occupancy: options.occupancy ?? new RoomOccupancy(),
      ...(options.avatars ? { avatars: options.avatars } : {}),
    });
    this.#messages = new ContactMessages({
      domain: options.domain,
      send: options.send,
      privileges: options.privileges,
      ...(options.whenOnline ? { whenOnline: options.whenOnline } : {}),
      ...(options.maxStanzaBytes ? { maxStanzaBytes: options.maxStanzaBytes } : {}),
    });
    // One cache for contacts, room members (both by user id: the same person, the same picture)
    // and rooms (by thread id): Facebook ids are unique across users and threads, so keys never
    // collide; each side ignores owners it has nothing waiting for.
    options.avatars?.onChange((owner, hint) => {
      void this.#avatarChanged(owner as UserId, hint);
      void this.rooms.avatarChanged(owner, hint);
    });
  }

  whenOnline(timeoutMs: number): Promise<boolean> {
    return this.#options.whenOnline?.(timeoutMs) ?? Promise.resolve(true);
  }

  async message(chat: Chat, speaker: Speaker, message: ChatMessage): Promise<string[]> {
    if (chat.conversation.kind === "group") return await this.rooms.message(chat, speaker, message);
    const contact = asUserId(chat.conversation.thread);
    if (!speaker.self) return await this.#messages.contactMessage(chat.user, contact, message);
    return await this.#messages.ownActivity(chat.user, contact, {
      kind: "message",
      id: message.id,
      text: message.text,
      attachments: message.attachments,
      timestamp: message.timestamp,
    });
  }

  async reaction(chat: Chat, speaker: Speaker, target: string, emojis: string[]): Promise<void> {
    if (chat.conversation.kind === "group") {
      return await this.rooms.reaction(chat, speaker, target, emojis);
    }
    const contact = asUserId(chat.conversation.thread);
    if (speaker.self) {
      await this.#messages.ownActivity(chat.user, contact, { kind: "reaction", target, emojis });
    } else await this.#messages.contactReaction(chat.user, contact, target, emojis);
  }

  async retraction(chat: Chat, speaker: Speaker, target: string): Promise<void> {
    if (chat.conversation.kind === "group") {
      return await this.rooms.retraction(chat, speaker, target);
    }
    const contact = asUserId(chat.conversation.thread);
    if (speaker.self) {
      await this.#messages.ownActivity(chat.user, contact, { kind: "retraction", target });
    } else await this.#messages.contactRetraction(chat.user, contact, target);
  }

  async displayed(chat: Chat, speaker: Speaker, target: string): Promise<void> {
    if (chat.conversation.kind === "group") {
      return await this.rooms.displayed(chat, speaker, target);
    }
    const contact = asUserId(chat.conversation.thread);
    if (speaker.self) {
      await this.#messages.ownActivity(chat.user, contact, { kind: "displayed", target });
    } else await this.#messages.contactDisplayed(chat.user, contact, target);
  }

  async chatState(chat: Chat, speaker: Speaker, state: "composing" | "paused"): Promise<void> {
    if (speaker.self) return;
    if (chat.conversation.kind === "group") return await this.rooms.chatState(chat, speaker, state);
    await this.#messages.contactChatState(chat.user, asUserId(chat.conversation.thread), state);
  }

  roomChanged(chat: Chat, change: RoomChange): Promise<void> {
    return this.rooms.changed(chat, change);
  }

  async bookmarkRooms(user: string, rooms: RoomCard[]): Promise<void> {
    await this.#bookmarks.offer(user, rooms);
  }

  async messageDelivered(chat: Chat, id: string): Promise<void> {
    await this.#messages.messageDelivered(chat.user, asUserId(chat.conversation.thread), id);
  }

  async messageFailed(
    client: string,
    chat: Chat,
    id: string | undefined,
    failure: MessageFailure,
  ): Promise<void> {
    // A room and a contact have the same JID shape: the error comes from the conversation's JID.
    await this.#messages.messageFailed(client, asUserId(chat.conversation.thread), id, failure);
  }

  contactAddress(contact: UserId): string {
    return this.contactJid(contact);
  }

  /** The component's domain (the gateway's own JID). */
  get domain(): string {
    return this.#options.domain;
  }

  /** The JID of a contact. */
  contactJid(contact: UserId): string {
    return contactJidOf(contact, this.#options.domain);
  }

  async gatewayPresence(user: string, presence: PresenceState): Promise<void> {
    this.#lastOf(user).gateway = presence;
    await this.sendGatewayPresence(user, presence);
  }

  /**
   * A chat message from the gateway. Sent once the XMPP connection is up — an explanation due at
   * startup, before the component is online, must not be lost — in order per user; the caller
   * waits only while the connection is up.
   */
  async gatewayMessage(user: string, text: string): Promise<void> {
    const stanza = xml("message", {
      type: "chat",
      from: this.#options.domain,
      to: user,
      id: crypto.randomUUID(),
    }, xml("body", {}, text));
    const next = (this.#notices.get(user) ?? Promise.resolve()).then(async () => {
      for (let attempt = 0; attempt < NOTICE_ATTEMPTS; attempt++) {
        if (!(await this.whenOnline(NOTICE_WAIT_MS))) break;
        if ((await this.#options.send(stanza)) !== false) return;
      }
      xmppLog.warn("A message from the gateway to {user} was dropped: the XMPP server was down", {
        user,
      });
    });
    this.#notices.set(user, next);
    void next.then(() => {
      if (this.#notices.get(user) === next) this.#notices.delete(user);
    });
    if (await this.whenOnline(0)) await next;
  }

  async contactPresence(user: string, contact: UserId, presence: PresenceState): Promise<void> {
    this.#lastOf(user).contacts.set(contact, presence);
    await this.sendContactPresence(user, user, contact, presence);
  }

  /** The gateway's presence to one address (e.g. the full JID of a resource that came online). */
  async sendGatewayPresence(to: string, presence: PresenceState): Promise<void> {
    await this.#options.send(
      presenceStanza(this.#options.domain, to, presence, undefined, this.#options.caps?.gateway()),
    );
  }

  /**
   * A contact's presence to one address of `user` (their bare JID, or the full JID of a
   * resource that came online or probed), with the contact's avatar hash.
   */
  async sendContactPresence(
    to: string,
    user: string,
    contact: UserId,
    presence: PresenceState,
  ): Promise<void> {
    await this.#options.send(
      presenceStanza(
        this.contactJid(contact),
        to,
        presence,
        this.#avatarHint(user, contact),
        this.#options.caps?.contact(),
      ),
    );
  }

  /** Asks the user's server for the user's presence (answered only if the gateway is subscribed). */
  async probe(user: string): Promise<void> {
    await this.#options.send(subscriptionPresence("probe", this.#options.domain, user));
  }

  async addContacts(user: string, contacts: ContactCard[]): Promise<void> {
    const privileges = this.#options.privileges;
    await privileges.settled();
    let reason: SubscriptionReason = "no_privilege";
    if (privileges.canSetRoster(user)) {
      try {
        await this.#pushContacts(user, contacts);
        const gateway = this.#last.get(user)?.gateway;
        if (gateway) await this.sendGatewayPresence(user, gateway);
        await this.probe(user);
        return;
      } catch (error) {
        reason = "push_failed";
        xmppLog.warn(
          "Could not put the contacts into the roster of {user}, asking with subscription " +
            "requests instead: {reason}",
          { user, reason: describe(error) },
        );
      }
    }
    await this.#options.send(
      subscriptionRequest(this.#options.domain, user, this.#options.name, reason, "gateway"),
    );
    for (const contact of contacts) {
      await this.#options.send(
        subscriptionRequest(this.contactJid(contact.id), user, contact.name, reason, "contact"),
      );
    }
    await this.probe(user);
  }

  async removeContacts(user: string, contacts: UserId[]): Promise<void> {
    this.#last.delete(user);
    const privileges = this.#options.privileges;
    await privileges.settledWithin(this.#options.removalWaitMs ?? 5000);
    const jids = [...contacts.map((id) => this.contactJid(id)), this.#options.domain];
    for (const from of jids) {
      await this.#options.send(xml("presence", { type: "unavailable", from, to: user }));
    }
    let remaining = jids;
    if (privileges.canSetRoster(user)) {
      remaining = [];
      for (const jid of jids) {
        try {
          await setRosterItem(this.#options.call, user, {
            jid,
            subscription: "remove",
            groups: [],
          });
        } catch (error) {
          if (error instanceof RosterRequestFailed && error.condition === "item-not-found") {
            continue;
          }
          xmppLog.warn("Could not remove {jid} from the roster of {user}: {reason}", {
            jid,
            user,
            reason: describe(error),
          });
          remaining.push(jid);
        }
      }
    }
    for (const from of remaining) {
      await this.#options.send(subscriptionPresence("unsubscribe", from, user));
      await this.#options.send(subscriptionPresence("unsubscribed", from, user));
    }
  }

  /** Forgets what was sent to a user (they unregistered). */
  forget(user: string): void {
    this.#last.delete(user);
  }

  async #pushContacts(user: string, contacts: ContactCard[]): Promise<void> {
    const call = this.#options.call;
    let existing: Map<string, RosterItem> | null = null;
    if (this.#options.privileges.canGetRoster(user)) {
      try {
        existing = await fetchRoster(call, user);
      } catch (error) {
        xmppLog.debug("Could not read the roster of {user}, pushing every item: {reason}", {
          user,
          reason: describe(error),
        });
      }
    }
    const groups = [this.#options.group];
    const items: RosterItem[] = [
      { jid: this.#options.domain, name: this.#options.name, subscription: "both", groups },
      ...contacts.map((contact): RosterItem => ({
        jid: this.contactJid(contact.id),
        name: contact.name,
        subscription: "both",
        groups,
      })),
    ];
    let pushed = 0;
    for (const item of items) {
      if (existing?.get(item.jid)?.subscription === "both") continue;
      await setRosterItem(call, user, item);
      pushed++;
    }
    // A roster that was already complete (every restart, for every user) is not news.
    xmppLog[pushed > 0 ? "info" : "debug"](
      "Roster of {user}: {pushed} items added, {kept} already there",
      {
        user,
        pushed,
        kept: items.length - pushed,
      },
    );
  }

  #avatarHint(user: string, contact: UserId): AvatarHint | undefined {
    const avatars = this.#options.avatars;
    if (!avatars) return undefined;
    return avatars.hint(contact, this.#options.contact?.(user, contact)?.avatarUrl);
  }

  async #avatarChanged(contact: UserId, hint: AvatarHint): Promise<void> {
    for (const [user, last] of this.#last) {
      const presence = last.contacts.get(contact);
      if (!presence?.available) continue;
      await this.#options.send(
        presenceStanza(
          this.contactJid(contact),
          user,
          presence,
          hint,
          this.#options.caps?.contact(),
        ),
      );
    }
  }

  #lastOf(user: string): LastPresences {
    let last = this.#last.get(user);
    if (!last) {
      last = { contacts: new Map() };
      this.#last.set(user, last);
    }
    return last;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
