/**
 * Which of a user's thread ids are groups (rooms on the XMPP side) and which are direct chats
 * (contacts): both are `<digits>@<component>`, so this is asked before any stanza to such a JID
 * is acted on, and it must hold across restarts (KV, see src/store/conversations.ts).
 *
 * Threads not listed are direct chats. Entries come from what Messenger says (every group event,
 * thread lists); a group the account left stays listed as left.
 *
 * @module
 */

import { gatewayLog } from "../log.ts";
import type { ConversationKind, ConversationRef } from "../messenger/events.ts";
import { asThreadId, asUserId, type ThreadId } from "../messenger/ids.ts";
import type { GroupInfo } from "./group_members.ts";
import { deleteGroup, listGroups, putGroup, type StoredGroup } from "../store/conversations.ts";

/** What the directory says about a thread. */
export interface DirectoryEntry {
  thread: ThreadId;
  kind: ConversationKind;
  /** A group's name, when known. */
  name?: string;
  /** A group the account is no longer in. */
  left: boolean;
}

/** One user's directory. */
export class ConversationDirectory {
  readonly #kv: Deno.Kv;
  readonly #jid: string;
  #groups: Map<ThreadId, StoredGroup> | undefined;
  /**
   * What {@link group} answered for each stored version of a group (a change stores a new
   * object), frozen: every message in a room asks, and the same object lets what is derived from
   * it (the occupants' nicks, in group_members.ts) be computed once per change.
   */
  readonly #infos = new WeakMap<StoredGroup, GroupInfo>();
  #loading: Promise<Map<ThreadId, StoredGroup>> | undefined;
  #closed = false;

  constructor(kv: Deno.Kv, jid: string) {
    this.#kv = kv;
    this.#jid = jid;
  }

  /**
   * What `thread` is: a group (maybe left), or a direct chat when not listed. Answered from
   * memory once the directory is loaded (every stanza to a contact asks), a promise before.
   */
  lookup(thread: ThreadId): DirectoryEntry | Promise<DirectoryEntry> {
    const groups = this.#groups;
    if (groups) return entryOf(thread, groups.get(thread));
    return this.#load().then((loaded) => entryOf(thread, loaded.get(thread)));
  }

  /** The groups the account is in, by name. */
  async groups(): Promise<DirectoryEntry[]> {
    const groups = [...(await this.#load()).values()].filter((group) => !group.left);
    return groups.map((group) => ({
      thread: asThreadId(group.thread),
      kind: "group" as const,
      left: false,
      ...(group.name === undefined ? {} : { name: group.name }),
    })).sort((a, b) => (a.name ?? a.thread).localeCompare(b.name ?? b.thread));
  }

  /**
   * What is known of a group (members, admins, picture); undefined for other threads. The same
   * frozen object until the group changes: callers change copies.
   */
  async group(thread: ThreadId): Promise<GroupInfo | undefined> {
    const stored = (await this.#load()).get(thread);
    if (stored === undefined) return undefined;
    const known = this.#infos.get(stored);
    if (known !== undefined) return known;
    const info: GroupInfo = {
      ...(stored.name === undefined ? {} : { name: stored.name }),
      members: (stored.members ?? []).map((member) => ({
        id: asUserId(member.id),
        name: member.name,
        ...(typeof member.avatarUrl === "string" ? { avatarUrl: member.avatarUrl } : {}),
      })),
      admins: (stored.admins ?? []).map(asUserId),
      ...(stored.imageUrl === undefined ? {} : { imageUrl: stored.imageUrl }),
    };
    this.#infos.set(stored, frozenGroup(info));
    return info;
  }

  /** Stores what is known of a group the account is in (replacing what was known). */
  async saveGroup(thread: ThreadId, group: GroupInfo): Promise<void> {
    const groups = await this.#load();
    const next: StoredGroup = {
      thread,
      updatedAt: Date.now(),
      members: group.members.map((member) => ({
        id: member.id,
        name: member.name,
        ...(member.avatarUrl === undefined ? {} : { avatarUrl: member.avatarUrl }),
      })),
      admins: [...group.admins],
      ...(group.name === undefined ? {} : { name: group.name }),
      ...(group.imageUrl === undefined ? {} : { imageUrl: group.imageUrl }),
    };
    groups.set(thread, next);
    await this.#write(() => putGroup(this.#kv, this.#jid, next));
  }

  /**
   * Records what Messenger said about a conversation: a group (with its name when given; a
   * left group is a member again), or a direct chat (a thread wrongly listed as a group is
   * dropped). Writes only what changed. Never throws: a failed write is logged.
   */
  async observe(ref: ConversationRef, name?: string): Promise<void> {
    const groups = await this.#load();
    const known = groups.get(ref.thread);
    if (ref.kind === "direct") {
      if (known === undefined) return;
      groups.delete(ref.thread);
      await this.#write(() => deleteGroup(this.#kv, this.#jid, ref.thread));
      return;
    }
    const { left: _left, ...kept } = known ?? { thread: ref.thread };
    const next: StoredGroup = { ...kept, thread: ref.thread, updatedAt: Date.now() };
    if (name !== undefined) next.name = name;
    // A left group stays left whatever arrives late; joining again goes through saveGroup.
    if (known !== undefined && (known.left || known.name === next.name)) return;
    groups.set(ref.thread, next);
    await this.#write(() => putGroup(this.#kv, this.#jid, next));
  }

  /** The account left the group or was removed from it. */
  async leave(thread: ThreadId): Promise<void> {
    const groups = await this.#load();
    const known = groups.get(thread);
    const next: StoredGroup = { ...(known ?? { thread }), left: true, updatedAt: Date.now() };
    groups.set(thread, next);
    await this.#write(() => putGroup(this.#kv, this.#jid, next));
  }

  /** Writes nothing more (the user unregistered: their data is being deleted). */
  close(): void {
    this.#closed = true;
  }

  #load(): Promise<Map<ThreadId, StoredGroup>> {
    if (this.#groups) return Promise.resolve(this.#groups);
    this.#loading ??= listGroups(this.#kv, this.#jid).then((stored) => {
      this.#groups = new Map(stored.map((group) => [asThreadId(group.thread), group]));
      return this.#groups;
    }).catch((error) => {
      this.#loading = undefined;
      throw error;
    });
    return this.#loading;
  }

  async #write(write: () => Promise<void>): Promise<void> {
    if (this.#closed) return;
    try {
      await write();
    } catch (error) {
      gatewayLog.warn("Could not store the conversation directory of {jid}: {error}", {
        jid: this.#jid,
        error,
      });
    }
  }
}

function entryOf(thread: ThreadId, group: StoredGroup | undefined): DirectoryEntry {
  if (group === undefined) return { thread, kind: "direct", left: false };
  return {
    thread,
    kind: "group",
    left: group.left === true,
    ...(group.name === undefined ? {} : { name: group.name }),
  };
}

/** The group, its member list, members and admins made read-only (they are shared). */
function frozenGroup(info: GroupInfo): GroupInfo {
  for (const member of info.members) Object.freeze(member);
  Object.freeze(info.members);
  Object.freeze(info.admins);
  return Object.freeze(info);
}
