/**
 * Which of a user's XMPP resources are in which rooms, under which nick. In XEP-0045 each
 * resource joins on its own: room messages go to the resources that joined, and a message or
 * request from a resource that has not joined is refused.
 *
 * Kept in memory only: after a gateway restart clients find out through self-pings (XEP-0410)
 * that they are no longer in the room, and join again.
 *
 * @module
 */

import type { ThreadId } from "../messenger/ids.ts";

/** Joined resources per user and room. */
export class RoomOccupancy {
  readonly #joined = new Map<string, Map<ThreadId, Map<string, string>>>();
  readonly #vacated: ((user: string, thread: ThreadId) => void)[] = [];

  /**
   * Calls `listener` when no resource of `user` is left in a room (the last one left, the room
   * closed, the user was forgotten, or everything was reset): what was kept for it can go.
   */
  onVacated(listener: (user: string, thread: ThreadId) => void): void {
    this.#vacated.push(listener);
  }

  /** `resource` of `user` is in the room as `nick`. */
  join(user: string, thread: ThreadId, resource: string, nick: string): void {
    let rooms = this.#joined.get(user);
    if (!rooms) this.#joined.set(user, rooms = new Map());
    let resources = rooms.get(thread);
    if (!resources) rooms.set(thread, resources = new Map());
    resources.set(resource, nick);
  }

  /** The resource left the room; true when it was in it. */
  leave(user: string, thread: ThreadId, resource: string): boolean {
    const rooms = this.#joined.get(user);
    const resources = rooms?.get(thread);
    if (!resources?.delete(resource)) return false;
    if (resources.size === 0) {
      rooms!.delete(thread);
      this.#vacate(user, [thread]);
    }
    if (rooms!.size === 0) this.#joined.delete(user);
    return true;
  }

  /** The resources of `user` in the room. */
  resources(user: string, thread: ThreadId): string[] {
    return [...(this.#joined.get(user)?.get(thread)?.keys() ?? [])];
  }

  /** The nick `resource` joined with, if it is in the room. */
  nickOf(user: string, thread: ThreadId, resource: string): string | undefined {
    return this.#joined.get(user)?.get(thread)?.get(resource);
  }

  /** The rooms a resource (or, with `""`, any resource of the user) is in. */
  roomsOf(user: string, resource: string): ThreadId[] {
    const rooms = this.#joined.get(user);
    if (!rooms) return [];
    return [...rooms].filter(([, resources]) => resource === "" || resources.has(resource))
      .map(([thread]) => thread);
  }

  /** Every (user, room) with a resource in it. */
  *occupiedRooms(): Iterable<[string, ThreadId]> {
    for (const [user, rooms] of this.#joined) {
      for (const thread of rooms.keys()) yield [user, thread];
    }
  }

  /** Forgets a room of a user entirely (they left the group); returns the resources that were in. */
  close(user: string, thread: ThreadId): string[] {
    const resources = this.resources(user, thread);
    for (const resource of resources) this.leave(user, thread, resource);
    return resources;
  }

  /** Forgets a user (unregistered). */
  forgetUser(user: string): void {
    const rooms = this.#joined.get(user);
    this.#joined.delete(user);
    this.#vacate(user, [...(rooms?.keys() ?? [])]);
  }

  /** Forgets everything (the XMPP connection dropped: clients join again). */
  reset(): void {
    const occupied = [...this.occupiedRooms()];
    this.#joined.clear();
    for (const [user, thread] of occupied) this.#vacate(user, [thread]);
  }

  #vacate(user: string, threads: ThreadId[]): void {
    for (const thread of threads) {
      for (const listener of this.#vacated) listener(user, thread);
    }
  }
}
