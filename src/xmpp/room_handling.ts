/**
 * What users' clients send to rooms (XEP-0045): joining and leaving, messages, subject changes,
 * invitations, kicks and admin roles (muc#admin), and the room's service discovery, vCards (the
 * room's picture on the room, a member's own on `room/nick`) and self-ping (XEP-0410).
 *
 * Each resource joins on its own. A join is answered in the order XEP-0045 §7.2 gives: the other
 * occupants' presences, the self-presence (110, 100, and 210 when the requested nick was replaced
 * by the user's Messenger name) echoing the join's id, the history, then the subject. A nick
 * change is refused with an error presence (never a stream error); a message or request from a
 * resource that has not joined is refused as `not-acceptable`, as clients expect.
 *
 * @module
 */

import { threadIdOf, userIdOf } from "../gateway/contact_ids.ts";
import { occupantByNick } from "../gateway/group_members.ts";
import type {
  ArchivePage,
  GatewayCore,
  HistoryRequest,
  RoomSnapshot,
} from "../gateway/core_port.ts";
import type { Occupant } from "../gateway/xmpp_port.ts";
import { MessageRefused } from "../gateway/outgoing_messages.ts";
import type { ThreadId, UserId } from "../messenger/ids.ts";
import { xmppLog } from "../log.ts";
import type { AvatarCache, AvatarOwner } from "./avatar_cache.ts";
import { NS_DATA_FORMS } from "./data_form.ts";
import { parseJid } from "./jid.ts";
import { stanzaErrorOf } from "./message_failure.ts";
import { parseUserMessage } from "./message_parse.ts";
import { adminActionOf, affiliationList } from "./muc_admin.ts";
import {
  MAM_FEATURES,
  mamError,
  mamFin,
  mamMetadata,
  mamQueryForm,
  mamResultMessage,
  parseMamQuery,
} from "./mam.ts";
import {
  FEATURE_SELF_PING,
  NS_MUC,
  NS_MUC_ADMIN,
  NS_MUC_ROOMINFO,
  NS_MUC_USER,
  NS_OCCUPANT_ID,
  occupantId,
  occupantPresence,
  roomPicturePresence,
  STATUS,
  subjectMessage,
} from "./muc_stanzas.ts";
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MAM, NS_PING, NS_SID, NS_VCARD } from "./namespaces.ts";
import type { RoomOccupancy } from "./room_occupancy.ts";
import type { RoomSenders } from "./room_senders.ts";
import type { Router, StanzaRequest } from "./router.ts";
import { errorReply, StanzaError } from "./stanza_error.ts";
import type { Jid } from "./jid.ts";
import { photo, vcard } from "./vcard.ts";
import { type Element, xml } from "./xml.ts";

/** The features a room advertises (XEP-0045 room type: persistent, members-only, …). */
export const ROOM_FEATURES = [
  NS_MUC,
  "muc_persistent",
  "muc_membersonly",
  "muc_nonanonymous",
  "muc_hidden",
  ...MAM_FEATURES,
  NS_OCCUPANT_ID,
  FEATURE_SELF_PING,
  NS_VCARD,
  NS_SID,
] as const;

/** What the room handlers need. */
export interface RoomHandlingOptions {
  domain: string;
  core: Pick<
    GatewayCore,
    | "joinRoom"
    | "roomInfo"
    | "roomAction"
    | "sendMessage"
    | "conversationAt"
    | "queryArchive"
    | "archiveBounds"
  >;
  occupancy: RoomOccupancy;
  rooms: RoomSenders;
  avatars?: AvatarCache;
  send: (stanza: Element) => Promise<unknown> | unknown;
}

/** Registers the handlers of stanzas to room JIDs. */
export function registerRoomHandling(router: Router, options: RoomHandlingOptions): void {
  const { core, occupancy, rooms, send } = options;
  for (const feature of ROOM_FEATURES) router.feature("room", feature);

  const notConnected = () =>
    new StanzaError("not-acceptable", "You are not connected to this chat: join it first");
  const threadOf = (to: Jid): ThreadId => {
    const thread = threadIdOf(to.local);
    if (!thread) throw new StanzaError("item-not-found", `${to.bare} is not a Messenger group`);
    return thread;
  };

  router.onPresence("room", async ({ stanza, from, to }: StanzaRequest) => {
    const thread = threadIdOf(to.local);
    const type = stanza.attrs.type;
    if (!thread) return;
    if (type === "unavailable") {
      const nick = occupancy.nickOf(from.bare, thread, from.resource);
      if (nick === undefined || !occupancy.leave(from.bare, thread, from.resource)) return;
      await send(
        xml(
          "presence",
          { from: `${to.bare}/${nick}`, to: from.full, type: "unavailable" },
          xml(
            "x",
            { xmlns: NS_MUC_USER },
            xml("item", { affiliation: "member", role: "none" }),
            xml("status", { code: STATUS.SELF }),
          ),
        ),
      );
      return;
    }
    if (type !== undefined) return; // subscriptions and probes mean nothing to a room
    if (!from.resource || !to.resource) {
      await send(errorReply(stanza, new StanzaError("jid-malformed", "Join a room as room/nick")));
      return;
    }
    const joined = occupancy.nickOf(from.bare, thread, from.resource);
    if (joined !== undefined) {
      if (joined !== to.resource) {
        await send(errorReply(
          stanza,
          new StanzaError(
            "not-acceptable",
            `Nick changes are not possible: your nick is your Messenger name, ${joined}`,
          ),
        ));
      }
      return; // a presence update of a joined resource
    }
    await join(stanza, from, to, thread);
  });

  async function join(stanza: Element, from: Jid, to: Jid, thread: ThreadId): Promise<void> {
    const shown = await core.joinRoom(
      from.bare,
      thread,
      historyOf(stanza.getChild("x", NS_MUC)?.getChild("history")),
      async (snapshot) => {
        const pending = await showRoom(snapshot, stanza, from, to);
        occupancy.join(from.bare, thread, from.resource, snapshot.self.nick);
        await rooms.settleJoin(
          from.bare,
          from.resource!,
          thread,
          pending.occupants,
          pending.roomPicture,
        );
      },
    ).catch((error) => {
      xmppLog.warn("Joining {room} for {user} failed: {error}", {
        room: to.bare,
        user: from.full,
        error,
      });
      throw new StanzaError("internal-server-error", "The room could not be joined now");
    });
    if (!shown) {
      await send(errorReply(
        stanza,
        new StanzaError("item-not-found", `${to.bare} is not one of your Messenger groups`),
      ));
    }
  }

  /**
   * Sends a join's stanzas to the joining resource; returns what was sent with a picture still
   * being fetched (for {@link RoomSenders.settleJoin}).
   */
  async function showRoom(
    snapshot: RoomSnapshot,
    stanza: Element,
    from: Jid,
    to: Jid,
  ): Promise<{ occupants: { occupant: Occupant; jid: string }[]; roomPicture?: string }> {
    const room = to.bare;
    const avatar = rooms.avatarHint(snapshot.thread, snapshot.imageUrl);
    const pending: { occupant: Occupant; jid: string }[] = [];
    for (const occupant of snapshot.occupants) {
      if (occupant.self) continue;
      const jid = `${occupant.id}@${options.domain}`;
      // The member's own picture (a pending one follows once fetched, as rooms.avatarChanged).
      const picture = rooms.occupantAvatar(from.bare, snapshot.thread, occupant, jid);
      if (picture?.kind === "pending") pending.push({ occupant, jid });
      await send(occupantPresence(room, occupant, from.full, {
        occupantId: await occupantId(room, occupant.id),
        jid,
        ...(picture ? { avatar: picture } : {}),
      }));
    }
    const codes: string[] = [STATUS.NON_ANONYMOUS, STATUS.SELF];
    if (to.resource !== snapshot.self.nick) codes.push(STATUS.NICK_CHANGED);
    await send(occupantPresence(room, snapshot.self, from.full, {
      occupantId: await occupantId(room, snapshot.self.id),
      jid: from.full,
      codes,
      ...(stanza.attrs.id ? { id: stanza.attrs.id } : {}),
    }));
    // History is always stamped as delayed (XEP-0045 §7.2.15), from the room.
    const delayed = { now: Number.POSITIVE_INFINITY, thresholdMs: 0, from: room };
    for (const message of snapshot.history) {
      const author = snapshot.occupants.find((occupant) => occupant.id === message.actor);
      const stanzas = await rooms.archivedStanzas(
        snapshot.thread,
        from.full,
        message,
        author?.nick ?? message.nick,
        delayed,
      );
      for (const part of stanzas) await send(part);
    }
    await send(subjectMessage(room, from.full, snapshot.name ?? ""));
    // The room's picture, from the room itself (XEP-0486): a hash in an occupant's presence would
    // say it is that member's own picture. One not fetched yet follows once it is (avatarChanged).
    if (avatar?.kind === "known") {
      await send(roomPicturePresence(room, from.full, avatar));
    }
    return {
      occupants: pending,
      ...(avatar?.kind === "pending" ? { roomPicture: snapshot.imageUrl } : {}),
    };
  }

  router.onMessage("room", async ({ stanza, from, to }) => {
    const thread = threadOf(to);
    if (to.resource) {
      throw new StanzaError(
        "not-acceptable",
        "Private messages inside a group are not bridged: write to the person's own address",
      );
    }
    const invite = stanza.getChild("x", NS_MUC_USER)?.getChild("invite");
    if (invite) {
      await act(from, thread, { kind: "invite", user: asInvitee(invite.attrs.to, options.domain) });
      return;
    }
    if (occupancy.nickOf(from.bare, thread, from.resource) === undefined) throw notConnected();
    const subject = stanza.getChild("subject");
    if (subject && !stanza.getChild("body")) {
      await act(from, thread, { kind: "subject", subject: subject.text().trim() });
      return;
    }
    const parsed = parseUserMessage(stanza);
    if (!parsed.ok) throw parsed.error;
    if (parsed.message.actions.length === 0) return;
    try {
      core.sendMessage(from.bare, from.full, { thread, kind: "group" }, parsed.message);
    } catch (error) {
      if (error instanceof MessageRefused) throw stanzaErrorOf(error.failure);
      throw error;
    }
  });

  async function act(from: Jid, thread: ThreadId, action: Parameters<typeof core.roomAction>[2]) {
    try {
      await core.roomAction(from.bare, thread, action);
    } catch (error) {
      if (error instanceof MessageRefused) throw stanzaErrorOf(error.failure);
      throw error;
    }
  }

  router.iq("room", "get", NS_DISCO_INFO, "query", async ({ from, to }) => {
    if (to.resource) throw new StanzaError("service-unavailable");
    const info = await core.roomInfo(from.bare, threadOf(to));
    if (!info) throw new StanzaError("item-not-found", `${to.bare} is not one of your groups`);
    const avatar = rooms.avatarHint(info.thread, info.imageUrl);
    return xml(
      "query",
      { xmlns: NS_DISCO_INFO },
      xml("identity", { category: "conference", type: "text", name: info.name ?? info.thread }),
      ...router.features("room").map((feature) => xml("feature", { var: feature })),
      xml(
        "x",
        { xmlns: NS_DATA_FORMS, type: "result" },
        xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS_MUC_ROOMINFO)),
        xml(
          "field",
          { var: "muc#roominfo_occupants", label: "Number of occupants" },
          xml("value", {}, String(info.occupants)),
        ),
        // XEP-0486: clients that look here fetch the room's picture from its vCard.
        avatar?.kind === "known"
          ? xml(
            "field",
            { var: "muc#roominfo_avatarhash", type: "text-multi" },
            xml("value", {}, avatar.sha1),
          )
          : null,
      ),
    );
  }, null);

  router.iq("room", "get", NS_DISCO_ITEMS, "query", async ({ from, to }) => {
    if (!(await core.roomInfo(from.bare, threadOf(to)))) {
      throw new StanzaError("item-not-found", `${to.bare} is not one of your groups`);
    }
    return xml("query", { xmlns: NS_DISCO_ITEMS });
  }, null);

  // The room's vCard has its picture; an occupant's (room/nick) the member's own (XEP-0153).
  router.iq("room", "get", NS_VCARD, "vCard", async ({ from, to }) => {
    const info = await core.roomInfo(from.bare, threadOf(to));
    if (!info) throw new StanzaError("item-not-found", `${to.bare} is not one of your groups`);
    const picture = (owner: AvatarOwner, url: string | undefined) =>
      options.avatars && url ? options.avatars.get(owner, url) : Promise.resolve(null);
    if (!to.resource) {
      return vcard(
        xml("FN", {}, info.name ?? info.thread),
        photo(await picture(info.thread, info.imageUrl)),
      );
    }
    const member = occupantByNick(info.members, to.resource);
    if (!member) {
      throw new StanzaError("item-not-found", `Nobody in this group is called ${to.resource}`);
    }
    return vcard(
      xml("FN", {}, member.name.trim() === "" ? member.nick : member.name),
      xml("NICKNAME", {}, member.nick),
      photo(await picture(member.id, member.avatarUrl)),
    );
  }, null);

  // XEP-0313 on the room: the form, the metadata, and pages of the archive.
  router.iq("room", "get", NS_MAM, "query", () => mamQueryForm(), null);
  router.iq("room", "get", NS_MAM, "metadata", async ({ from, to }) => {
    const bounds = await core.archiveBounds(from.bare, threadOf(to));
    if (bounds === undefined) {
      throw new StanzaError("item-not-found", `${to.bare} is not one of your groups`);
    }
    return mamMetadata(bounds);
  }, null);
  router.iq("room", "set", NS_MAM, "query", async ({ from, to, payload, precede }) => {
    const thread = threadOf(to);
    const query = parseMamQuery(payload);
    // In a room's archive `with` names an occupant: room/nick.
    const withJid = query.with === undefined ? undefined : parseJid(query.with);
    if (withJid && (withJid.bare !== to.bare || !withJid.resource)) return mamFin(EMPTY_PAGE);
    let page: ArchivePage | undefined;
    try {
      page = await core.queryArchive(from.bare, thread, {
        max: query.max,
        flip: query.flip,
        ...(withJid ? { withNick: withJid.resource } : {}),
        ...(query.start === undefined ? {} : { start: query.start }),
        ...(query.end === undefined ? {} : { end: query.end }),
        ...(query.afterId === undefined ? {} : { afterId: query.afterId }),
        ...(query.beforeId === undefined ? {} : { beforeId: query.beforeId }),
        ...(query.ids === undefined ? {} : { ids: query.ids }),
        ...(query.after === undefined ? {} : { after: query.after }),
        ...(query.before === undefined ? {} : { before: query.before }),
      });
    } catch (error) {
      throw mamError(error);
    }
    if (!page) throw new StanzaError("item-not-found", `${to.bare} is not one of your groups`);
    const results: Element[] = [];
    for (const message of page.messages) {
      const stanzas = await rooms.archivedStanzas(thread, from.full, message, message.nick);
      for (const stanza of stanzas) {
        results.push(mamResultMessage({
          to: from.full,
          from: to.bare,
          ...(query.queryId === undefined ? {} : { queryId: query.queryId }),
          archiveId: stanzaIdOf(stanza) ?? message.id,
          timestamp: message.timestamp,
          message: stanza,
        }));
      }
    }
    // The page and its end go out in one write.
    precede(results);
    return mamFin(page);
  }, null);

  // XEP-0410: a client pings its own occupant JID to learn whether it is still in the room.
  router.iq("room", "get", NS_PING, "ping", async ({ from, to }) => {
    const thread = threadOf(to);
    if (!to.resource) {
      if (!(await core.roomInfo(from.bare, thread))) {
        throw new StanzaError("item-not-found", `${to.bare} is not one of your groups`);
      }
      return;
    }
    const nick = occupancy.nickOf(from.bare, thread, from.resource);
    if (nick === undefined || nick !== to.resource) throw notConnected();
  }, null);

  // XEP-0045 muc#admin (muc_admin.ts): kicks and admin roles, and the affiliation lists.
  router.iq("room", "set", NS_MUC_ADMIN, "query", async ({ from, to, payload }) => {
    const thread = threadOf(to);
    const nick = occupancy.nickOf(from.bare, thread, from.resource);
    if (nick === undefined) throw notConnected();
    await act(from, thread, adminActionOf(payload, { bareJid: from.bare, nick }, options.domain));
  }, null);
  router.iq("room", "get", NS_MUC_ADMIN, "query", async ({ from, to, payload }) => {
    const info = await core.roomInfo(from.bare, threadOf(to));
    if (!info) throw new StanzaError("item-not-found", `${to.bare} is not one of your groups`);
    return affiliationList(payload, info.members, from.bare, options.domain);
  }, null);
}

/** An archive page with nothing in it (a `with` naming nobody of the room). */
const EMPTY_PAGE = { complete: true, count: 0 };

/** The room's stanza-id of a groupchat stanza. */
function stanzaIdOf(stanza: Element): string | undefined {
  return stanza.getChildren("stanza-id").find((child) => child.attrs.by !== undefined)?.attrs.id;
}

/** The `<history/>` of a join, as the core's history request. */
function historyOf(history: Element | undefined): HistoryRequest {
  if (!history) return {};
  const number = (name: string) => {
    const value = history.attrs[name];
    if (value === undefined || !/^[0-9]{1,9}$/.test(value)) return undefined;
    return Number(value);
  };
  const since = history.attrs.since ? Date.parse(history.attrs.since) : NaN;
  const request: HistoryRequest = {};
  const maxStanzas = number("maxstanzas");
  const maxChars = number("maxchars");
  const seconds = number("seconds");
  if (maxStanzas !== undefined) request.maxStanzas = maxStanzas;
  if (maxChars !== undefined) {
    request.maxChars = maxChars;
    if (maxChars === 0) request.maxStanzas = 0;
  }
  if (seconds !== undefined) request.seconds = seconds;
  if (Number.isFinite(since)) request.since = since;
  return request;
}

/** The Messenger user a XEP-0045 or XEP-0249 invitation names, or a bad-request. */
export function asInvitee(jid: string | undefined, domain: string): UserId {
  const parsed = parseJid(jid);
  const user = parsed?.domain === domain ? userIdOf(parsed.local) : null;
  if (!parsed || !user) {
    throw new StanzaError(
      "bad-request",
      `Invite one of your Messenger contacts: their address ends with @${domain}`,
    );
  }
  return user;
}
