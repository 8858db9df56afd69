/**
 * Contacts' avatars as XMPP wants them: the image bytes (vCard PHOTO, XEP-0054) and their SHA-1
 * (presence hash, XEP-0153), fetched from the profile picture URL Messenger gives.
 *
 * Kept in memory by contact (a Messenger user id is the same person for every gateway user), so
 * one download serves every user who has that contact. Fetches run a few at a time (no burst
 * against Facebook's CDN at startup), failures are not retried for a while, and image bytes are
 * evicted least-recently-used beyond a memory budget while the hashes stay (a vCard request
 * then downloads again). Facebook rotates signed picture URLs: a new URL is fetched again, and
 * the last known hash stays advertised until the new one is known.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { xmppLog } from "../log.ts";
import type { ThreadId, UserId } from "../messenger/ids.ts";

/** Whose picture it is: a person's (a contact, a room member), or a room's (a group's). */
export type AvatarOwner = UserId | ThreadId;
import type { FetchedImage } from "./image_fetch.ts";

/** An avatar ready for a vCard. */
export interface Avatar {
  /** Lower-case hex SHA-1 of the bytes (XEP-0153). */
  sha1: string;
  type: string;
  data: Uint8Array;
}

/** What presence may say about a contact's avatar (XEP-0153 §4.1). */
export type AvatarHint =
  /** No avatar: advertise an empty `<photo/>`. */
  | { kind: "none" }
  /** Not known yet: advertise nothing (`<x/>` without `<photo/>`). */
  | { kind: "pending" }
  | { kind: "known"; sha1: string };

/** Options of {@link AvatarCache}. */
export interface AvatarCacheOptions {
  /** Downloads an image (bounded); throws when it cannot. */
  fetch: (url: string) => Promise<FetchedImage>;
  /** Memory budget for image bytes; default 32 MiB. */
  maxBytes?: number;
  /** A failed URL is not tried again for this long (ms); default 10 minutes. */
  retryAfterMs?: number;
  /** Downloads at the same time; default 4. */
  concurrency?: number;
  /** Clock (tests). */
  now?: () => number;
}

interface Entry {
  /** The URL {@link sha1} (and {@link data}) belong to. */
  hashUrl?: string;
  sha1?: string;
  type?: string;
  data?: Uint8Array;
  /** The URL being fetched and its outcome. */
  fetching?: { url: string; promise: Promise<Avatar | null> };
  failed?: { url: string; at: number };
}

/** Avatars by contact. */
export class AvatarCache {
  #options: Required<Omit<AvatarCacheOptions, "now">> & { now: () => number };
  #entries = new Map<AvatarOwner, Entry>();
  /** Contacts whose bytes are held, least recently used first. */
  #lru = new Map<AvatarOwner, number>();
  #bytes = 0;
  #running = 0;
  #queue: (() => void)[] = [];
  #listeners: ((contact: AvatarOwner, hint: AvatarHint) => void)[] = [];

  constructor(options: AvatarCacheOptions) {
    this.#options = {
      maxBytes: 32 * 1024 * 1024,
      retryAfterMs: 10 * 60_000,
      concurrency: 4,
      now: Date.now,
      ...options,
    };
  }

  /**
   * Calls `listener` when what presence should say about a contact's avatar changed (a hash
   * became known or changed, or the avatar turned out to be unavailable).
   */
  onChange(listener: (contact: AvatarOwner, hint: AvatarHint) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * What presence should say now; does no IO, but starts a download in the background when the
   * URL is not known yet ({@link onChange} reports the outcome).
   */
  hint(contact: AvatarOwner, url: string | undefined): AvatarHint {
    if (!url) return { kind: "none" };
    const entry = this.#entries.get(contact);
    if (entry?.hashUrl === url && entry.sha1) return { kind: "known", sha1: entry.sha1 };
    if (!this.#recentlyFailed(entry, url)) void this.#fetch(contact, url);
    if (entry?.sha1) return { kind: "known", sha1: entry.sha1 };
    return this.#recentlyFailed(entry, url) ? { kind: "none" } : { kind: "pending" };
  }

  /** The avatar behind `url`, downloading it when needed; null when there is none or it failed. */
  async get(contact: AvatarOwner, url: string | undefined): Promise<Avatar | null> {
    if (!url) return null;
    const entry = this.#entries.get(contact);
    if (entry?.hashUrl === url && entry.sha1 && entry.type && entry.data) {
      this.#touch(contact);
      return { sha1: entry.sha1, type: entry.type, data: entry.data };
    }
    if (this.#recentlyFailed(entry, url) && entry?.hashUrl !== url) return null;
    return await this.#fetch(contact, url);
  }

  /** Bytes of images held. */
  get heldBytes(): number {
    return this.#bytes;
  }

  #recentlyFailed(entry: Entry | undefined, url: string): boolean {
    return entry?.failed?.url === url &&
      this.#options.now() - entry.failed.at < this.#options.retryAfterMs;
  }

  #fetch(contact: AvatarOwner, url: string): Promise<Avatar | null> {
    let entry = this.#entries.get(contact);
    if (!entry) {
      entry = {};
      this.#entries.set(contact, entry);
    }
    if (entry.fetching?.url === url) return entry.fetching.promise;
    const promise = this.#limited(() => this.#download(contact, url));
    entry.fetching = { url, promise };
    return promise;
  }

  async #download(contact: AvatarOwner, url: string): Promise<Avatar | null> {
    const before = this.#entries.get(contact);
    const hadHash = before?.sha1;
    let image: FetchedImage;
    try {
      image = await this.#options.fetch(url);
    } catch (error) {
      const entry = this.#entries.get(contact);
      if (entry) {
        if (entry.fetching?.url === url) entry.fetching = undefined;
        entry.failed = { url, at: this.#options.now() };
      }
      xmppLog.info("No avatar for contact {contact}: {reason}", {
        contact,
        reason: error instanceof Error ? error.message : String(error),
      });
      if (!hadHash) this.#emit(contact, { kind: "none" });
      return null;
    }
    const sha1 = createHash("sha1").update(image.data).digest("hex");
    const entry = this.#entries.get(contact) ?? {};
    this.#entries.set(contact, entry);
    if (entry.fetching?.url === url) entry.fetching = undefined;
    this.#drop(contact);
    Object.assign(entry, { hashUrl: url, sha1, type: image.type, data: image.data });
    entry.failed = undefined;
    this.#bytes += image.data.byteLength;
    this.#lru.set(contact, image.data.byteLength);
    this.#evict(contact);
    if (hadHash !== sha1) this.#emit(contact, { kind: "known", sha1 });
    return { sha1, type: image.type, data: image.data };
  }

  #touch(contact: AvatarOwner): void {
    const size = this.#lru.get(contact);
    if (size === undefined) return;
    this.#lru.delete(contact);
    this.#lru.set(contact, size);
  }

  /** Forgets the bytes held for a contact (the hash stays). */
  #drop(contact: AvatarOwner): void {
    const size = this.#lru.get(contact);
    if (size === undefined) return;
    this.#lru.delete(contact);
    this.#bytes -= size;
    const entry = this.#entries.get(contact);
    if (entry) entry.data = undefined;
  }

  /** Drops the least recently used bytes until within budget, never those of `keep`. */
  #evict(keep: AvatarOwner): void {
    for (const contact of this.#lru.keys()) {
      if (this.#bytes <= this.#options.maxBytes) return;
      if (contact !== keep) this.#drop(contact);
    }
  }

  #emit(contact: AvatarOwner, hint: AvatarHint): void {
    for (const listener of this.#listeners) {
      try {
        listener(contact, hint);
      } catch (error) {
        xmppLog.error("An avatar listener failed: {error}", { error });
      }
    }
  }

  async #limited<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#options.concurrency) {
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    }
    this.#running++;
    try {
      return await task();
    } finally {
      this.#running--;
      this.#queue.shift()?.();
    }
  }
}
