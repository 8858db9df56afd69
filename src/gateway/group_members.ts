/**
 * A group's members as the room shows them: each with a nick that is their Messenger name, made
 * unique in the room. Pure functions: the nicks follow from the stored member list alone, so they
 * are the same after a restart and in every resource of the user.
 *
 * The account itself comes first, so the user keeps their own name; a later namesake becomes
 * "Name (2)". An empty name falls back to the Messenger id.
 *
 * Every message in a room asks for its author's nick: the occupants of a frozen group (the
 * conversation directory's, one object per stored version) are computed once per version and
 * account, not per message.
 *
 * @module
 */

import type { UserId } from "../messenger/ids.ts";

/** A member as stored: Messenger id, display name and, when known, profile picture. */
export interface GroupMember {
  id: UserId;
  name: string;
  /** Their profile picture's URL, the newest one learned (Messenger's URLs expire). */
  avatarUrl?: string;
}

/** A member as the room shows them. */
export interface Occupant {
  id: UserId;
  /** Their Messenger name. */
  name: string;
  /** Their nick in the room: the name, made unique. */
  nick: string;
  /** A group admin (room owner). */
  admin: boolean;
  /** The account itself (the user). */
  self: boolean;
  /** Their profile picture's URL, when known: shown as the occupant's avatar. */
  avatarUrl?: string;
}

/** What is known of a group. */
export interface GroupInfo {
  name?: string;
  members: GroupMember[];
  admins: UserId[];
  imageUrl?: string;
}

/** The occupants of a frozen group, by id too, with the account they were computed for. */
interface Computed {
  self: GroupMember;
  occupants: Occupant[];
  byId: Map<UserId, Occupant>;
}

const computed = new WeakMap<GroupInfo, Computed>();

/**
 * The occupants of a group, the account first; `self` is the account (its name as given). For a
 * frozen group the same frozen list is answered until the account's id or name changes.
 */
export function occupantsOf(group: GroupInfo, self: GroupMember): Occupant[] {
  return Object.isFrozen(group) ? computedFor(group, self).occupants : occupantsFor(group, self);
}

/** The occupant with this Messenger id (the account, or a member), if any. */
export function occupantOf(group: GroupInfo, self: GroupMember, id: UserId): Occupant | undefined {
  return Object.isFrozen(group)
    ? computedFor(group, self).byId.get(id)
    : occupantsFor(group, self).find((occupant) => occupant.id === id);
}

/** The occupant whose room nick is `nick`, compared as nicks are (case-insensitively). */
export function occupantByNick(
  occupants: readonly Occupant[],
  nick: string,
): Occupant | undefined {
  const wanted = nick.toLowerCase();
  return occupants.find((occupant) => occupant.nick.toLowerCase() === wanted);
}

function computedFor(group: GroupInfo, self: GroupMember): Computed {
  const known = computed.get(group);
  if (known?.self.id === self.id && known.self.name === self.name) return known;
  const occupants = occupantsFor(group, self);
  for (const occupant of occupants) Object.freeze(occupant);
  const result = {
    self: { id: self.id, name: self.name },
    occupants: Object.freeze(occupants) as Occupant[],
    byId: new Map(occupants.map((occupant) => [occupant.id, occupant])),
  };
  computed.set(group, result);
  return result;
}

function occupantsFor(group: GroupInfo, self: GroupMember): Occupant[] {
  const taken = new Set<string>();
  const admins = new Set(group.admins);
  const ordered = [self, ...group.members.filter((member) => member.id !== self.id)];
  return ordered.map((member) => {
    const nick = uniqueNick(member.name.trim() === "" ? member.id : member.name.trim(), taken);
    taken.add(nick.toLowerCase());
    return {
      id: member.id,
      name: member.name,
      nick,
      admin: admins.has(member.id),
      self: member.id === self.id,
      ...(member.avatarUrl === undefined ? {} : { avatarUrl: member.avatarUrl }),
    };
  });
}

/** `name`, or `name (2)`, `name (3)`… whichever is free (nicks compare case-insensitively). */
function uniqueNick(name: string, taken: Set<string>): string {
  if (!taken.has(name.toLowerCase())) return name;
  for (let n = 2;; n++) {
    const candidate = `${name} (${n})`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
}

/**
 * The group with members added (known ones keep their place; names and pictures are updated, a
 * picture not given keeps the known one).
 */
export function withMembers(group: GroupInfo, added: GroupMember[]): GroupInfo {
  const members = [...group.members];
  for (const member of added) {
    const index = members.findIndex((known) => known.id === member.id);
    if (index < 0) {
      members.push(member);
      continue;
    }
    const known = members[index];
    const avatarUrl = member.avatarUrl ?? known.avatarUrl;
    members[index] = {
      id: member.id,
      name: member.name === "" ? known.name : member.name,
      ...(avatarUrl === undefined ? {} : { avatarUrl }),
    };
  }
  return { ...group, members };
}

/** The group without a member (and without their admin role). */
export function withoutMember(group: GroupInfo, id: UserId): GroupInfo {
  return {
    ...group,
    members: group.members.filter((member) => member.id !== id),
    admins: group.admins.filter((admin) => admin !== id),
  };
}
