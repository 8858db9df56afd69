/**
 * The room half of the XMPP side of {@link XmppPort}: what happens in a Messenger group, sent to
 * each of the user's resources that joined its room (XEP-0045), as the room would: messages and
 * their reactions, retractions, markers and typing from occupants (`room/nick`), with the room's
 * stable `stanza-id` and each author's `occupant-id`; members arriving and leaving; members made
 * admins (owners) or no longer; the subject; the room's picture; members' own pictures (XEP-0153
 * hashes in their presences, sent again once a picture is fetched); and the end of the room when
 * the account leaves the group.
 *
 * A message nobody's client is in the room for is not lost: it is in the room's archive, which
 * clients read on joining (history) or page through (MAM).
 *
 * @module
 */

import type { Chat, ChatMessage, Occupant, RoomChange, Speaker } from "../gateway/xmpp_port.ts";
import { XmppUnavailable } from "../gateway/xmpp_port.ts";
import { contactJidOf } from "../gateway/contact_ids.ts";
import { asUserId, type ThreadId, type UserId } from "../messenger/ids.ts";
import type { ArchivedMessage } from "../gateway/core_port.ts";
import { NS_RETRACT } from "./namespaces.ts";
import { attachmentLink } from "./attachment_presentation.ts";
import type { AvatarCache, AvatarHint } from "./avatar_cache.ts";
import {
  attachmentPartId,
  buildChatState,
  buildContactMessages,
  buildDisplayedMarker,
  buildReaction,
  buildRetraction,
  type DelayPolicy,
} from "./message_build.ts";
import {
  asGroupchat,
  NS_OCCUPANT_ID,
  occupantId,
  occupantPresence,
  roomPicturePresence,
  STATUS,
  subjectMessage,
} from "./muc_stanzas.ts";
import type { RoomOccupancy } from "./room_occupancy.ts";
import { type Element, xml } from "./xml.ts";
import type { ChatState } from "../gateway/message_actions.ts";

/** What the room senders need. */
export interface RoomSendersOptions {
  domain: string;
  /** Sends a stanza; false when the connection is down. */
  send: (stanza: Element) => Promise<unknown>;
  occupancy: RoomOccupancy;
  /**
   * Room pictures (keyed by thread id) and members' own (keyed by user id, shared with contacts:
   * the same person has the same picture); without it presences carry no avatar hash.
   */
  avatars?: AvatarCache;
  /** Messages older than this get a `<delay>` (ms). */
  delayThresholdMs?: number;
  /** Bound on occupant presences waiting for a member's picture; default 10,000. */
  maxPendingAvatars?: number;
}

/** An occupant presence sent while the member's picture was being fetched, to send again. */
interface PendingAvatar {
  user: string;
  thread: ThreadId;
  occupant: Occupant;
  /** The `jid` of the presence's item, as first sent. */
  jid?: string;
}

/** Sends what happens in rooms to the resources in them. */
export class RoomSenders {
  readonly #options: RoomSendersOptions;
  /**
   * By member, then by user and room: occupant presences announced without a picture hash yet.
   * Oldest members first, so the bound drops the longest waiting.
   */
  readonly #pendingAvatars = new Map<UserId, Map<string, PendingAvatar>>();
  #pendingCount = 0;

  constructor(options: RoomSendersOptions) {
    this.#options = options;
    options.occupancy.onVacated((user, thread) => this.#forgetPending(user, thread));
  }

  /** The room's JID. */
  roomJid(thread: ThreadId): string {
    return contactJidOf(thread, this.#options.domain);
  }

  /**
   * A message in the room, to every joined resource of the user; returns its stanza-ids (the
   * archive ids), also when no resource is in the room.
   */
  async message(chat: Chat, speaker: Speaker, message: ChatMessage): Promise<string[]> {
    const thread = chat.conversation.thread;
    const resources = this.#options.occupancy.resources(chat.user, thread);
    let ids: string[] | undefined;
    for (const [index, resource] of resources.entries()) {
      const stanzas = await this.messageStanzas(
        thread,
        `${chat.user}/${resource}`,
        speaker,
        message,
        {
          now: Date.now(),
          thresholdMs: this.#options.delayThresholdMs,
          from: this.roomJid(thread),
        },
      );
      ids ??= stanzas.map((stanza) => stanzaIdOf(stanza)).filter((id): id is string => !!id);
      for (const stanza of stanzas) {
        const sent = await this.#options.send(stanza);
        if (sent === false && index === 0) {
          throw new XmppUnavailable("The XMPP server connection is down");
        }
      }
    }
    return ids ?? partIds(message);
  }

  /**
   * The stanzas of one room message for one resource (live, history and archive pages alike):
   * from the author's occupant JID, with the room's stanza-id and the author's occupant-id.
   */
  async messageStanzas(
    thread: ThreadId,
    to: string,
    speaker: Speaker,
    message: ChatMessage,
    delay?: DelayPolicy,
  ): Promise<Element[]> {
    const room = this.roomJid(thread);
    const nick = speaker.name ?? speaker.id;
    const author = await occupantId(room, speaker.id);
    const stanzaIds = partIds(message);
    const stanzas = buildContactMessages({
      from: `${room}/${nick}`,
      to,
      id: message.id,
      text: message.text,
      attachments: message.attachments.map(attachmentLink),
      timestamp: message.timestamp,
      ...(message.reply
        ? {
          reply: {
            id: message.reply.id,
            to: `${room}/${message.reply.author}`,
            ...(message.reply.text
              ? { quote: { author: message.reply.author, text: message.reply.text } }
              : {}),
          },
        }
        : {}),
      ...(message.mentions?.length
        ? {
          mentions: message.mentions.map((mention) => ({
            jid: mention.nick !== undefined
              ? `${room}/${mention.nick}`
              : contactJidOf(mention.user, this.#options.domain),
            offset: mention.offset,
            length: mention.length,
          })),
        }
        : {}),
    }, delay);
    return stanzas.map((stanza, index) =>
      asGroupchat(stanza, room, {
        stanzaId: stanzaIds[index] ?? attachmentPartId(stanzaIds[0], index),
        occupantId: author,
        ...(index === 0 && message.originId !== undefined ? { originId: message.originId } : {}),
      })
    );
  }

  /**
   * The stanzas of an archived room message for one resource (join history and archive pages):
   * the same as it was sent live, or, when it was unsent, a XEP-0424 tombstone.
   */
  archivedStanzas(
    thread: ThreadId,
    to: string,
    message: ArchivedMessage,
    author: string,
    delay?: DelayPolicy,
  ): Promise<Element[]> {
    const speaker = { id: asUserId(message.actor), self: message.fromSelf, name: author };
    if (message.retracted) {
      const room = this.roomJid(thread);
      return Promise.resolve(
        occupantId(room, message.actor).then((id) => [
          asGroupchat(
            xml(
              "message",
              { from: `${room}/${author}`, to, id: message.id },
              xml("retracted", {
                xmlns: NS_RETRACT,
                id: message.id,
                stamp: new Date(message.timestamp).toISOString(),
              }),
            ),
            room,
            { stanzaId: message.id, occupantId: id },
          ),
        ]),
      );
    }
    return this.messageStanzas(thread, to, speaker, {
      id: message.fromSelf && message.originId ? message.originId : message.id,
      archiveId: message.id,
      ...(message.originId ? { originId: message.originId } : {}),
      text: message.text,
      attachments: message.attachments,
      timestamp: message.timestamp,
      ...(message.replyTo?.nick
        ? {
          reply: {
            id: message.replyTo.id,
            author: message.replyTo.nick,
            bySelf: false,
            ...(message.replyTo.text ? { text: message.replyTo.text } : {}),
          },
        }
        : {}),
    }, delay);
  }

  async reaction(chat: Chat, speaker: Speaker, target: string, emojis: string[]): Promise<void> {
    await this.#notice(chat, speaker, (route) => buildReaction({ ...route, target, emojis }));
  }

  async retraction(chat: Chat, speaker: Speaker, target: string): Promise<void> {
    await this.#notice(chat, speaker, (route) => buildRetraction({ ...route, target }));
  }

  async displayed(chat: Chat, speaker: Speaker, target: string): Promise<void> {
    await this.#notice(chat, speaker, (route) => buildDisplayedMarker({ ...route, target }));
  }

  async chatState(chat: Chat, speaker: Speaker, state: "composing" | "paused"): Promise<void> {
    await this.#notice(
      chat,
      speaker,
      (route) => buildChatState({ ...route, state: state as ChatState }),
    );
  }

  /** A change in the room, to every joined resource. */
  async changed(chat: Chat, change: RoomChange): Promise<void> {
    const thread = chat.conversation.thread;
    const room = this.roomJid(thread);
    const resources = this.#options.occupancy.resources(chat.user, thread);
    for (const resource of resources) {
      const to = `${chat.user}/${resource}`;
      switch (change.kind) {
        case "joined":
          await this.#options.send(
            occupantPresence(room, change.occupant, to, {
              occupantId: await occupantId(room, change.occupant.id),
              ...optionalHint(this.occupantAvatar(chat.user, thread, change.occupant)),
            }),
          );
          break;
        case "left":
          await this.#options.send(
            occupantPresence(room, change.occupant, to, {
              occupantId: await occupantId(room, change.occupant.id),
              unavailable: true,
              ...(change.by ? { codes: [STATUS.KICKED], actor: change.by.nick } : {}),
            }),
          );
          break;
        case "affiliation": {
          // As at the join: the user's own presence says so (110), with the resource's nick.
          const self = change.occupant.self;
          const nick = self
            ? this.#options.occupancy.nickOf(chat.user, thread, resource) ?? change.occupant.nick
            : change.occupant.nick;
          const jid = self ? to : contactJidOf(change.occupant.id, this.#options.domain);
          await this.#options.send(
            occupantPresence(room, { ...change.occupant, nick }, to, {
              occupantId: await occupantId(room, change.occupant.id),
              jid,
              ...(self ? { codes: [STATUS.SELF] } : {}),
              ...(change.by ? { actor: change.by.nick } : {}),
              ...optionalHint(this.occupantAvatar(chat.user, thread, change.occupant, jid)),
            }),
          );
          break;
        }
        case "subject":
          await this.#options.send(subjectMessage(room, to, change.subject, change.by?.nick));
          break;
        case "avatar":
          break; // sent once below, with the new hash
        case "removed": {
          const nick = this.#options.occupancy.nickOf(chat.user, thread, resource) ??
            change.self.nick;
          await this.#options.send(
            occupantPresence(room, { ...change.self, nick }, to, {
              occupantId: await occupantId(room, change.self.id),
              unavailable: true,
              codes: change.by
                ? [STATUS.SELF, STATUS.KICKED]
                : [STATUS.SELF, STATUS.AFFILIATION_CHANGED],
              ...(change.by ? { actor: change.by.nick } : {}),
            }),
          );
          break;
        }
      }
    }
    if (change.kind === "avatar") await this.announceAvatar(chat.user, thread, change.url);
    if (change.kind === "left") this.#forgetPending(chat.user, thread, change.occupant.id);
    if (change.kind === "removed") this.#options.occupancy.close(chat.user, thread);
  }

  /**
   * What an occupant's presence says of the member's own picture (XEP-0153): its hash, `none`,
   * or, while it is being fetched, `pending` — then the presence is sent again, with `jid` in its
   * item, to the resources in the room once the picture is known ({@link avatarChanged}).
   * Undefined for the user's own presence (their client knows their picture) and without a cache.
   */
  occupantAvatar(
    user: string,
    thread: ThreadId,
    occupant: Occupant,
    jid?: string,
  ): AvatarHint | undefined {
    const avatars = this.#options.avatars;
    if (!avatars || occupant.self) return undefined;
    const hint = avatars.hint(occupant.id, occupant.avatarUrl);
    if (hint.kind === "pending") {
      this.#rememberPending({ user, thread, occupant, ...(jid === undefined ? {} : { jid }) });
    } else {
      this.#forgetPending(user, thread, occupant.id);
    }
    return hint;
  }

  /**
   * Closes the gap of a join: a picture fetched while the join's stanzas were being sent was
   * announced to the resources already in the room, not to the joining one (it is counted in
   * the room only once everything is sent). `waiting` are the occupant presences the join sent
   * with a pending picture, `roomPicture` the room's own picture URL when it was pending then:
   * what is known by now goes to `resource`, what is still pending follows with the others.
   */
  async settleJoin(
    user: string,
    resource: string,
    thread: ThreadId,
    waiting: readonly { occupant: Occupant; jid?: string }[],
    roomPicture?: string,
  ): Promise<void> {
    const avatars = this.#options.avatars;
    if (!avatars) return;
    const room = this.roomJid(thread);
    const to = `${user}/${resource}`;
    const key = roomKey(user, thread);
    for (const { occupant, jid } of waiting) {
      if (this.#pendingAvatars.get(occupant.id)?.has(key)) continue; // still on its way
      const hint = avatars.hint(occupant.id, occupant.avatarUrl);
      if (hint.kind === "pending") continue; // fetched again meanwhile: announced when done
      await this.#options.send(await withPicture(room, occupant, to, jid, hint));
    }
    if (roomPicture !== undefined) {
      const hint = avatars.hint(thread, roomPicture);
      if (hint.kind === "known") await this.#options.send(roomPicturePresence(room, to, hint));
    }
  }

  /** How many occupant presences wait for a member's picture (tests, diagnostics). */
  get pendingAvatars(): number {
    return this.#pendingCount;
  }

  /**
   * The room's picture hash in a presence from the room itself, to each joined resource
   * (XEP-0486); the hash is known once the picture was fetched.
   */
  async announceAvatar(user: string, thread: ThreadId, url: string | undefined): Promise<void> {
    const hint = this.avatarHint(thread, url);
    // Not fetched yet: the hash follows once it is (avatarChanged).
    if (!hint || hint.kind === "pending") return;
    await this.#roomPicture(user, thread, hint);
  }

  /** What presences say of the room's picture (undefined: nothing known to say). */
  avatarHint(thread: ThreadId, url: string | undefined): AvatarHint | undefined {
    const avatars = this.#options.avatars;
    if (!avatars) return undefined;
    return avatars.hint(thread, url);
  }

  /**
   * A picture was fetched (or changed, or turned out unavailable): a room's hash goes to the
   * resources in the room; a member's, in their occupant presence sent again, to the resources of
   * every room where that presence went out while the picture was pending.
   */
  async avatarChanged(owner: string, hint: AvatarHint): Promise<void> {
    await this.#memberAvatarChanged(asUserId(owner), hint);
    for (const [user, thread] of this.#options.occupancy.occupiedRooms()) {
      if (thread === owner) await this.#roomPicture(user, thread, hint);
    }
  }

  /** The room's picture hash to each of the user's resources in the room. */
  async #roomPicture(user: string, thread: ThreadId, hint: AvatarHint): Promise<void> {
    const room = this.roomJid(thread);
    for (const resource of this.#options.occupancy.resources(user, thread)) {
      await this.#options.send(roomPicturePresence(room, `${user}/${resource}`, hint));
    }
  }

  async #memberAvatarChanged(member: UserId, hint: AvatarHint): Promise<void> {
    const waiting = this.#pendingAvatars.get(member);
    if (!waiting) return;
    this.#pendingAvatars.delete(member);
    this.#pendingCount -= waiting.size;
    for (const { user, thread, occupant, jid } of waiting.values()) {
      const room = this.roomJid(thread);
      for (const resource of this.#options.occupancy.resources(user, thread)) {
        await this.#options.send(
          await withPicture(room, occupant, `${user}/${resource}`, jid, hint),
        );
      }
    }
  }

  #rememberPending(pending: PendingAvatar): void {
    const key = roomKey(pending.user, pending.thread);
    let waiting = this.#pendingAvatars.get(pending.occupant.id);
    if (!waiting) this.#pendingAvatars.set(pending.occupant.id, waiting = new Map());
    if (!waiting.has(key)) this.#pendingCount++;
    waiting.set(key, pending);
    const max = this.#options.maxPendingAvatars ?? 10_000;
    for (const [member, dropped] of this.#pendingAvatars) {
      if (this.#pendingCount <= max) break;
      if (member === pending.occupant.id) continue;
      this.#pendingAvatars.delete(member);
      this.#pendingCount -= dropped.size;
    }
  }

  /** Forgets what waits for pictures in a room (of one member, or of all). */
  #forgetPending(user: string, thread: ThreadId, member?: UserId): void {
    const key = roomKey(user, thread);
    const members = member === undefined ? [...this.#pendingAvatars.keys()] : [member];
    for (const id of members) {
      const waiting = this.#pendingAvatars.get(id);
      if (!waiting?.delete(key)) continue;
      this.#pendingCount--;
      if (waiting.size === 0) this.#pendingAvatars.delete(id);
    }
  }

  /** A message without body from an occupant (reaction, retraction, marker, typing). */
  async #notice(
    chat: Chat,
    speaker: Speaker,
    build: (route: { from: string; to: string }) => Element,
  ): Promise<void> {
    const thread = chat.conversation.thread;
    const room = this.roomJid(thread);
    const from = `${room}/${speaker.name ?? speaker.id}`;
    const id = await occupantId(room, speaker.id);
    for (const resource of this.#options.occupancy.resources(chat.user, thread)) {
      const stanza = build({ from, to: `${chat.user}/${resource}` });
      stanza.attrs.type = "groupchat";
      stanza.append(xml("occupant-id", { xmlns: NS_OCCUPANT_ID, id }));
      await this.#options.send(stanza);
    }
  }
}

/** The stanza-ids of a message's stanzas: the archive id, then one per extra attachment part. */
function partIds(message: ChatMessage): string[] {
  const archiveId = message.archiveId ?? message.id;
  const textual = message.text.trim() !== "" || message.attachments.length === 0;
  const parts = message.attachments.length + (textual ? 1 : 0);
  return Array.from(
    { length: Math.max(1, parts) },
    (_, index) => index === 0 ? archiveId : attachmentPartId(archiveId, index),
  );
}

/** The key of one user's room in the presences waiting for pictures. */
function roomKey(user: string, thread: ThreadId): string {
  return `${user}\u0000${thread}`;
}

/** A member's occupant presence sent again, now with what is known of their picture. */
async function withPicture(
  room: string,
  occupant: Occupant,
  to: string,
  jid: string | undefined,
  hint: AvatarHint,
): Promise<Element> {
  return occupantPresence(room, occupant, to, {
    occupantId: await occupantId(room, occupant.id),
    ...(jid === undefined ? {} : { jid }),
    avatar: hint,
  });
}

/** `{ avatar: hint }` when there is a hint, `{}` otherwise. */
function optionalHint(hint: AvatarHint | undefined): { avatar?: AvatarHint } {
  return hint === undefined ? {} : { avatar: hint };
}

/** The room's stanza-id of a groupchat stanza. */
function stanzaIdOf(stanza: Element): string | undefined {
  return stanza.getChildren("stanza-id").find((child) => child.attrs.by !== undefined)?.attrs.id;
}
