/**
 * The muc#admin items of XEP-0045 as Messenger understands them: what a client asks of one
 * occupant (a kick, making someone an owner or a member again), and the affiliation lists it may
 * ask for.
 *
 * Messenger has one kind of group admin, who may remove members and make or unmake admins, and
 * plain members; nobody is banned or a visitor. So a Messenger admin is a room owner, and a
 * request for `owner` or `admin` makes the member an admin (clients offer either: Gajim's
 * "Owner" and "Administrator", Conversations' "Make owner"/"Make admin"); `member` takes the role
 * away. `outcast` and `none` have no Messenger counterpart and are refused with a sentence saying
 * what to do instead. In the lists, admins are owners and everyone else a member; the `admin`
 * and `outcast` lists are empty. Owners are moderators (XEP-0045's default role for them, and
 * what clients look at before offering a kick), everyone else a participant.
 *
 * @module
 */

import { contactJidOf, userIdOf } from "../gateway/contact_ids.ts";
import type { RoomAction } from "../gateway/core_port.ts";
import type { Occupant } from "../gateway/group_members.ts";
import { parseJid } from "./jid.ts";
import { NS_MUC_ADMIN } from "./muc_stanzas.ts";
import { StanzaError } from "./stanza_error.ts";
import { type Element, xml } from "./xml.ts";

/** Who asks: the user's bare JID and their nick in the room (for their own JID in an item). */
export interface AdminRequester {
  bareJid: string;
  nick: string;
}

/**
 * The room action a muc#admin `set` asks for, or a {@link StanzaError} saying why it cannot be
 * done. One item per request: Messenger changes one member at a time.
 */
export function adminActionOf(
  query: Element,
  requester: AdminRequester,
  domain: string,
): RoomAction {
  const items = query.getChildren("item");
  if (items.length !== 1) throw new StanzaError("bad-request", "Give exactly one item to change");
  const [item] = items;
  const { role, affiliation, nick } = item.attrs;
  if (affiliation === undefined) {
    if (role === "none" && nick) return { kind: "kick", nick };
    throw new StanzaError(
      "feature-not-implemented",
      "Roles follow Messenger's admins here (admins are moderators): kick with role 'none' for a " +
        "nick, or make the member an owner or a member again",
    );
  }
  switch (affiliation) {
    case "owner":
    case "admin":
      return { kind: "admin", member: memberOf(item, requester, domain), admin: true };
    case "member":
      return { kind: "admin", member: memberOf(item, requester, domain), admin: false };
    case "outcast":
      throw new StanzaError(
        "feature-not-implemented",
        "Messenger has no bans: remove the member with a kick (role 'none') instead",
      );
    case "none":
      throw new StanzaError(
        "feature-not-implemented",
        "Messenger group members cannot lose their membership and stay: kick them (role 'none')",
      );
    default:
      throw new StanzaError("bad-request", `Unknown affiliation '${affiliation}'`);
  }
}

type MemberRef = Extract<RoomAction, { kind: "admin" }>["member"];

/** The member an affiliation item names: by `jid` (a contact's, or the user's own) or `nick`. */
function memberOf(item: Element, requester: AdminRequester, domain: string): MemberRef {
  const { jid, nick } = item.attrs;
  if (jid !== undefined) {
    const parsed = parseJid(jid);
    if (parsed?.bare === requester.bareJid) return { nick: requester.nick };
    const user = parsed?.domain === domain ? userIdOf(parsed.local) : null;
    if (!user) {
      throw new StanzaError(
        "item-not-found",
        `${jid} is not in this group: its members' addresses end with @${domain}`,
      );
    }
    return { user };
  }
  if (nick) return { nick };
  throw new StanzaError("bad-request", "Name the member with a jid or a nick");
}

/**
 * The answer to a muc#admin `get` of an affiliation list (the admins as owners, the others as
 * members) or a role list (the admins as moderators, the others as participants), each with their
 * JID (the user's own bare JID for the user) and nick.
 */
export function affiliationList(
  query: Element,
  members: readonly Occupant[],
  user: string,
  domain: string,
): Element {
  const items = query.getChildren("item");
  const affiliation = items.length === 1 ? items[0].attrs.affiliation : undefined;
  const role = items.length === 1 ? items[0].attrs.role : undefined;
  const list = (listed: readonly Occupant[], attrs: (member: Occupant) => object) =>
    xml(
      "query",
      { xmlns: NS_MUC_ADMIN },
      ...listed.map((member) =>
        xml("item", {
          ...attrs(member),
          jid: member.self ? user : contactJidOf(member.id, domain),
          nick: member.nick,
        })
      ),
    );
  if (affiliation === undefined && (role === "moderator" || role === "participant")) {
    return list(
      members.filter((member) => member.admin === (role === "moderator")),
      (member) => ({ role, affiliation: member.admin ? "owner" : "member" }),
    );
  }
  if (affiliation === undefined) {
    throw new StanzaError(
      "feature-not-implemented",
      "Ask for one list: an affiliation (owner, admin, member or outcast) or a role " +
        "(moderator or participant)",
    );
  }
  if (!["owner", "admin", "member", "outcast"].includes(affiliation)) {
    throw new StanzaError("bad-request", `No list of affiliation '${affiliation}'`);
  }
  const listed = affiliation === "owner"
    ? members.filter((member) => member.admin)
    : affiliation === "member"
    ? members.filter((member) => !member.admin)
    : [];
  return list(listed, () => ({ affiliation }));
}
