/**
 * Per-user mapping between XMPP message ids and Messenger message ids, plus the "already
 * delivered" record that drops Messenger's duplicates.
 *
 * Every reaction, retraction, reply and read marker names a message by one side's id, so this
 * is read and written for almost every message: writes go through the {@link WriteBatcher}
 * (one commit for many messages) and a bounded in-memory write-through cache makes a link
 * readable the moment it is recorded, before the batch is committed. Records expire after
 * `retentionMs` (KV `expireIn`, and a read-side age check so an expired record is never used even
 * before KV deletes it). Keys live under `["user", bareJid, "msg", …]`, so unregistration removes
 * them with the rest of the user's data.
 *
 * Read-after-write holds as long as fewer than `cacheSize` writes are waiting in the batcher (it
 * commits every few ms or every full batch, so only a stalled KV gets there).
 *
 * @module
 */

import type { MessageId, ThreadId } from "../messenger/ids.ts";
import { messageByMessengerIdKey, messageByXmppIdKey, seenMessageKey } from "./keys.ts";
import type { WriteBatcher } from "./write_batcher.ts";

/** How long links and seen records are kept by default: 30 days. */
export const DEFAULT_MESSAGE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** How many records the write-through cache holds by default. */
export const DEFAULT_MESSAGE_CACHE_SIZE = 20_000;

/**
 * The longest id stored. KV keys are limited to 2 KiB; real ids (UUIDs, `mid.$…`) are far
 * shorter, and the message parser refuses longer ones before they get here.
 */
export const MAX_STORED_ID_LENGTH = 512;

/** One Messenger message and the XMPP stanza(s) that carried it, in one thread. */
export interface MessageLink {
  thread: ThreadId;
  messengerId: MessageId;
  /**
   * XMPP ids of the stanzas for this message, first the main one. A Messenger message with
   * attachments becomes several stanzas, each of which a user may react to or reply to.
   */
  xmppIds: string[];
  /** When the link was recorded (ms since the epoch). */
  at: number;
}

/** Tuning and test hooks. */
export interface MessageIdStoreOptions {
  /** How long records are kept (ms); default {@link DEFAULT_MESSAGE_RETENTION_MS}. */
  retentionMs?: number;
  /** Entries of the write-through cache; default {@link DEFAULT_MESSAGE_CACHE_SIZE}. */
  cacheSize?: number;
  /** The clock (ms since the epoch); tests pass a fake one. */
  now?: () => number;
}

/** What a cache entry holds: a link, or the time a Messenger id was seen. */
type Cached =
  | { kind: "link"; link: MessageLink }
  | { kind: "seen"; at: number }
  // Released: not seen, whatever KV says until the batched delete lands.
  | { kind: "released" };

/**
 * One user's view of the id mappings: the same records, without repeating the user at every call.
 * Each user session holds one; {@link forget} drops the user's cached records (unregistration).
 */
export interface UserMessageIds {
  link(link: { thread: ThreadId; messengerId: MessageId; xmppIds: string[] }): MessageLink;
  byXmppId(xmppId: string): Promise<MessageLink | null>;
  byMessengerId(messengerId: MessageId): Promise<MessageLink | null>;
  markSeen(messengerId: MessageId): Promise<boolean>;
  release(messengerId: MessageId): void;
  forget(): void;
}

/** The id mappings of all users, backed by KV and a write-through cache. */
export class MessageIdStore {
  readonly #kv: Deno.Kv;
  readonly #batcher: WriteBatcher;
  readonly #retentionMs: number;
  readonly #now: () => number;
  readonly #cache: BoundedCache<Cached>;

  constructor(kv: Deno.Kv, batcher: WriteBatcher, options: MessageIdStoreOptions = {}) {
    this.#kv = kv;
    this.#batcher = batcher;
    this.#retentionMs = options.retentionMs ?? DEFAULT_MESSAGE_RETENTION_MS;
    this.#now = options.now ?? Date.now;
    this.#cache = new BoundedCache(options.cacheSize ?? DEFAULT_MESSAGE_CACHE_SIZE);
  }

  /** The view of one user's records. */
  forUser(user: string): UserMessageIds {
    return {
      link: (link) => this.link(user, link),
      byXmppId: (xmppId) => this.byXmppId(user, xmppId),
      byMessengerId: (messengerId) => this.byMessengerId(user, messengerId),
      markSeen: (messengerId) => this.markSeen(user, messengerId),
      release: (messengerId) => this.release(user, messengerId),
      forget: () => this.forgetUser(user),
    };
  }

  /**
   * Records that the Messenger message `messengerId` travelled as the XMPP stanza(s) `xmppIds`.
   * Readable at once by either id; committed with the next batch. Recording the same Messenger
   * id again replaces its link. Throws a RangeError for an empty or over-long id (a caller bug:
   * ids are validated where they enter the program).
   */
  link(
    user: string,
    link: { thread: ThreadId; messengerId: MessageId; xmppIds: string[] },
  ): MessageLink {
    if (link.xmppIds.length === 0) throw new RangeError("A message link needs an XMPP id");
    for (const id of [link.messengerId, ...link.xmppIds]) checkStorable(id);
    const record: MessageLink = {
      thread: link.thread,
      messengerId: link.messengerId,
      xmppIds: [...new Set(link.xmppIds)],
      at: this.#now(),
    };
    const expireIn = this.#retentionMs;
    const byMessenger = messageByMessengerIdKey(user, record.messengerId);
    this.#batcher.set(byMessenger, record, { expireIn });
    this.#cache.set(cacheKey(byMessenger), { kind: "link", link: record });
    for (const xmppId of record.xmppIds) {
      const byXmpp = messageByXmppIdKey(user, xmppId);
      this.#batcher.set(byXmpp, record, { expireIn });
      this.#cache.set(cacheKey(byXmpp), { kind: "link", link: record });
    }
    return record;
  }

  /** The link of the message an XMPP stanza id names; `null` when unknown or expired. */
  byXmppId(user: string, xmppId: string): Promise<MessageLink | null> {
    return this.#readLink(messageByXmppIdKey(user, xmppId), xmppId);
  }

  /** The link of a Messenger message; `null` when unknown or expired. */
  byMessengerId(user: string, messengerId: MessageId): Promise<MessageLink | null> {
    return this.#readLink(messageByMessengerIdKey(user, messengerId), messengerId);
  }

  /**
   * Records that a Messenger message reached the user; true the first time, false for a
   * duplicate (redelivery after a reconnect, the echo of a message the gateway sent). Concurrent
   * calls for one id: exactly one gets true.
   */
  async markSeen(user: string, messengerId: MessageId): Promise<boolean> {
    checkStorable(messengerId);
    const key = seenMessageKey(user, messengerId);
    const id = cacheKey(key);
    const cached = this.#cache.get(id);
    if (cached?.kind === "seen" && this.#fresh(cached.at)) return false;
    // Claimed synchronously, before the read, so a concurrent call sees it and answers false.
    const now = this.#now();
    this.#cache.set(id, { kind: "seen", at: now });
    if (cached?.kind === "released") {
      this.#batcher.set(key, now, { expireIn: this.#retentionMs });
      return true;
    }
    let stored: Deno.KvEntryMaybe<number>;
    try {
      stored = await this.#kv.get<number>(key);
    } catch (error) {
      this.#cache.delete(id);
      throw error;
    }
    if (typeof stored.value === "number" && this.#fresh(stored.value)) {
      this.#cache.set(id, { kind: "seen", at: stored.value });
      return false;
    }
    this.#batcher.set(key, now, { expireIn: this.#retentionMs });
    return true;
  }

  /**
   * Undoes {@link markSeen} for a message that could not be delivered after all, so that a
   * redelivery by Messenger is not dropped as a duplicate.
   */
  release(user: string, messengerId: MessageId): void {
    const key = seenMessageKey(user, messengerId);
    // Remembered as released: a batched write of the mark may reach KV before this delete does.
    this.#cache.set(cacheKey(key), { kind: "released" });
    this.#batcher.delete(key);
  }

  /** Drops a user's cached records (their KV data is deleted with the user's prefix). */
  forgetUser(user: string): void {
    this.#cache.deleteWhere((id) => id.startsWith(cachePrefix(user)));
  }

  async #readLink(key: Deno.KvKey, id: string): Promise<MessageLink | null> {
    if (id === "" || id.length > MAX_STORED_ID_LENGTH) return null;
    const cacheId = cacheKey(key);
    const cached = this.#cache.get(cacheId);
    if (cached?.kind === "link") return this.#fresh(cached.link.at) ? cached.link : null;
    const stored = (await this.#kv.get<MessageLink>(key)).value;
    if (!isMessageLink(stored) || !this.#fresh(stored.at)) return null;
    this.#cache.set(cacheId, { kind: "link", link: stored });
    return stored;
  }

  #fresh(at: number): boolean {
    return this.#now() - at < this.#retentionMs;
  }
}

function checkStorable(id: string): void {
  if (id === "") throw new RangeError("A message id cannot be empty");
  if (id.length > MAX_STORED_ID_LENGTH) {
    throw new RangeError(
      `A message id is too long to store: ${id.length} characters (at most ${MAX_STORED_ID_LENGTH})`,
    );
  }
}

/** A KV record written by an older or foreign version is ignored rather than trusted. */
function isMessageLink(value: unknown): value is MessageLink {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.thread === "string" && typeof record.messengerId === "string" &&
    Array.isArray(record.xmppIds) && typeof record.at === "number";
}

/** Cache ids are the KV key's parts joined by NUL, which JIDs and ids never contain. */
function cacheKey(key: Deno.KvKey): string {
  return key.map(String).join("\u0000");
}

function cachePrefix(user: string): string {
  return `user\u0000${user}\u0000`;
}

/** A map that forgets its least recently used entries beyond `capacity`. */
class BoundedCache<V> {
  readonly #capacity: number;
  readonly #entries = new Map<string, V>();

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      // A Map iterates in insertion order: re-inserting marks the entry as recently used.
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  deleteWhere(predicate: (key: string) => boolean): void {
    for (const key of [...this.#entries.keys()]) if (predicate(key)) this.#entries.delete(key);
  }
}
