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
 * Read-after-write holds as long as fewer than half of `cacheSize` writes are waiting in the
 * batcher (it commits every few ms or every full batch, so only a stalled KV gets there).
 *
 * Deduplication answers new messages without reading KV. Every seen record raises the user's
 * *seen horizon*, the newest Messenger timestamp among their seen records, stored in the same
 * batch ahead of the record (so no record is ever committed without its horizon). A message newer
 * than the horizon the user had when this program first looked, and newer than every seen record
 * the cache has dropped since, was not seen before unless the cache holds it — so only messages
 * at or below that line (history, late redeliveries) cost a KV read. Messenger gives a message the
 * same timestamp every time it is delivered; one without (an adapter's clock stands in) is newer
 * than anything stored, which is what it also is for the KV read: never seen in a previous run.
 *
 * @module
 */

import type { MessageId, ThreadId } from "../messenger/ids.ts";
import {
  messageByMessengerIdKey,
  messageByXmppIdKey,
  seenHorizonKey,
  seenMessageKey,
  seenMessagesPrefix,
} from "./keys.ts";
import type { QueuedWrite, WriteBatcher } from "./write_batcher.ts";

/** How long links and seen records are kept by default: 30 days. */
export const DEFAULT_MESSAGE_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

/** How many records the write-through cache holds by default. */
export const DEFAULT_MESSAGE_CACHE_SIZE = 20_000;

/**
 * How far past a message's time the stored seen horizon is set (ms): it is then written about once
 * a minute of messages rather than with every one. (After a restart, messages up to that far past
 * the last one seen cost a KV read each.)
 */
export const SEEN_HORIZON_AHEAD_MS = 60_000;

/**
 * A store written before seen horizons existed has seen records no horizon covers: they are
 * covered by one this far past the time the store is first used again (ms), against clock skew
 * between Messenger and this machine.
 */
export const LEGACY_HORIZON_MARGIN_MS = 60 * 60_000;

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

/** What a cache entry holds: a link, or when and whose a Messenger message was seen. */
type Cached =
  | { kind: "link"; link: MessageLink }
  | {
    kind: "seen";
    at: number;
    user: string;
    timestamp: number;
    /** The queued record of it, which the message's link replaces while still queued. */
    write?: QueuedWrite;
  }
  // Released: not seen, whatever KV says until the batched delete lands.
  | { kind: "released" };

/** What is stored under a Messenger id that was seen but has no link (yet). */
interface SeenRecord {
  /** When it was seen (ms since the epoch). */
  at: number;
}

/**
 * One user's line above which a message's seen record lives only in the cache: the horizon
 * stored when the program first looked (`stored`, loading until known), the newest timestamp of
 * a seen record the cache dropped (`dropped`), and the horizon queued for writing (`queued`).
 */
interface Horizon {
  stored: number | undefined;
  loading: Promise<number> | undefined;
  dropped: number;
  queued: number;
}

/**
 * One user's view of the id mappings: the same records, without repeating the user at every call.
 * Each user session holds one; {@link forget} drops the user's cached records (unregistration).
 */
export interface UserMessageIds {
  link(link: { thread: ThreadId; messengerId: MessageId; xmppIds: string[] }): MessageLink;
  byXmppId(xmppId: string): Promise<MessageLink | null>;
  byMessengerId(messengerId: MessageId): Promise<MessageLink | null>;
  markSeen(messengerId: MessageId, timestamp: number): Promise<boolean>;
  wasSeen(messengerId: MessageId, timestamp: number): Promise<boolean>;
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
  readonly #horizons = new Map<string, Horizon>();

  constructor(kv: Deno.Kv, batcher: WriteBatcher, options: MessageIdStoreOptions = {}) {
    this.#kv = kv;
    this.#batcher = batcher;
    this.#retentionMs = options.retentionMs ?? DEFAULT_MESSAGE_RETENTION_MS;
    this.#now = options.now ?? Date.now;
    this.#cache = new BoundedCache(options.cacheSize ?? DEFAULT_MESSAGE_CACHE_SIZE, (entry) => {
      // A dropped seen record is only in KV now: messages up to its time must be read there.
      if (entry.kind !== "seen") return;
      const horizon = this.#horizons.get(entry.user);
      if (horizon) horizon.dropped = Math.max(horizon.dropped, entry.timestamp);
    });
  }

  /** The view of one user's records. */
  forUser(user: string): UserMessageIds {
    return {
      link: (link) => this.link(user, link),
      byXmppId: (xmppId) => this.byXmppId(user, xmppId),
      byMessengerId: (messengerId) => this.byMessengerId(user, messengerId),
      markSeen: (messengerId, timestamp) => this.markSeen(user, messengerId, timestamp),
      wasSeen: (messengerId, timestamp) => this.wasSeen(user, messengerId, timestamp),
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
    // The message's seen record, when still queued, becomes its link: one write, not two.
    const claim = this.#cache.get(cacheKey(seenMessageKey(user, record.messengerId)));
    if (claim?.kind !== "seen" || !claim.write?.replace(record)) {
      this.#batcher.set(byMessenger, record, { expireIn });
    }
    // A link counts as seen in later runs too, which only the horizon tells without a read. Made
    // without a seen mark (not done by the gateway's flows), it is covered by this machine's clock.
    if (claim?.kind !== "seen") this.#raiseHorizon(user, record.at);
    this.#cache.set(cacheKey(byMessenger), { kind: "link", link: record });
    for (const xmppId of record.xmppIds) {
      const byXmpp = messageByXmppIdKey(user, xmppId);
      // A stanza named by the Messenger id (a contact's message, a room's stanza-id) is found
      // under that id: no second record.
      if (xmppId !== record.messengerId) this.#batcher.set(byXmpp, record, { expireIn });
      this.#cache.set(cacheKey(byXmpp), { kind: "link", link: record });
    }
    return record;
  }

  /** The link of the message an XMPP stanza id names; `null` when unknown or expired. */
  async byXmppId(user: string, xmppId: string): Promise<MessageLink | null> {
    const link = await this.#readLink(messageByXmppIdKey(user, xmppId), xmppId);
    if (link !== null) return link;
    // Stored only under the Messenger id when the stanza carried that id.
    const byMessenger = await this.#readLink(messageByMessengerIdKey(user, xmppId), xmppId);
    return byMessenger?.xmppIds.includes(xmppId) ? byMessenger : null;
  }

  /** The link of a Messenger message; `null` when unknown or expired. */
  byMessengerId(user: string, messengerId: MessageId): Promise<MessageLink | null> {
    return this.#readLink(messageByMessengerIdKey(user, messengerId), messengerId);
  }

  /**
   * Records that a Messenger message (with its Messenger `timestamp`) reached the user; true the
   * first time, false for a duplicate (redelivery after a reconnect, the echo of a message the
   * gateway sent). Concurrent calls for one id: exactly one gets true. Reads KV only for a message
   * at or below the user's seen horizon (see the module documentation).
   */
  async markSeen(user: string, messengerId: MessageId, timestamp: number): Promise<boolean> {
    checkStorable(messengerId);
    const id = cacheKey(seenMessageKey(user, messengerId));
    const cached = this.#cache.get(id);
    if (cached?.kind === "seen" && this.#fresh(cached.at)) return false;
    // A message linked in this run was handled (and its record must not be overwritten).
    const linked = this.#cache.get(cacheKey(messageByMessengerIdKey(user, messengerId)));
    if (linked?.kind === "link" && this.#fresh(linked.link.at)) return false;
    // Claimed synchronously, before any read, so a concurrent call sees it and answers false.
    const now = this.#now();
    const claim: Cached = { kind: "seen", at: now, user, timestamp };
    this.#cache.set(id, claim);
    if (cached?.kind !== "released") {
      let stored: number | null;
      try {
        stored = await this.#storedSeen(user, messengerId, timestamp);
      } catch (error) {
        this.#cache.delete(id);
        throw error;
      }
      if (stored !== null && this.#fresh(stored)) {
        this.#cache.set(id, { kind: "seen", at: stored, user, timestamp });
        return false;
      }
    }
    this.#raiseHorizon(user, timestamp);
    // Recorded under the message's Messenger id: its link, when it gets one, replaces this.
    const seen: SeenRecord = { at: now };
    claim.write = this.#batcher.set(messageByMessengerIdKey(user, messengerId), seen, {
      expireIn: this.#retentionMs,
    });
    return true;
  }

  /**
   * Whether a Messenger message (with its Messenger `timestamp`) already reached the user, without
   * claiming it: the content watchdog asks this of the messages Messenger lists, and delivers the
   * others through {@link markSeen} like any message.
   */
  async wasSeen(user: string, messengerId: MessageId, timestamp: number): Promise<boolean> {
    checkStorable(messengerId);
    const cached = this.#cache.get(cacheKey(seenMessageKey(user, messengerId)));
    if (cached?.kind === "seen") return this.#fresh(cached.at);
    if (cached?.kind === "released") return false;
    const linked = this.#cache.get(cacheKey(messageByMessengerIdKey(user, messengerId)));
    if (linked?.kind === "link" && this.#fresh(linked.link.at)) return true;
    const stored = await this.#storedSeen(user, messengerId, timestamp);
    return stored !== null && this.#fresh(stored);
  }

  /**
   * When a message with `timestamp` was recorded as seen (ms), or null: from memory for a message
   * above the user's horizon, from KV otherwise (its record under its Messenger id, a link or a
   * bare seen record, or a seen record of an older version).
   */
  async #storedSeen(
    user: string,
    messengerId: MessageId,
    timestamp: number,
  ): Promise<number | null> {
    const horizon = this.#horizon(user);
    const stored = horizon.stored ?? await this.#storedHorizon(user, horizon);
    if (timestamp > Math.max(stored, horizon.dropped)) return null;
    const [record, legacy] = await this.#kv.getMany<[unknown, unknown]>([
      messageByMessengerIdKey(user, messengerId),
      seenMessageKey(user, messengerId),
    ]);
    const at = (record.value as Partial<SeenRecord> | null)?.at;
    if (typeof at === "number") return at;
    return typeof legacy.value === "number" ? legacy.value : null;
  }

  /** The user's horizon (what KV holds is loaded when first needed, by {@link #storedHorizon}). */
  #horizon(user: string): Horizon {
    let horizon = this.#horizons.get(user);
    if (horizon === undefined) {
      horizon = { stored: undefined, loading: undefined, dropped: 0, queued: 0 };
      this.#horizons.set(user, horizon);
    }
    return horizon;
  }

  /**
   * The horizon stored when this program first looked, read once (concurrent callers share the
   * read; after a failure the next caller tries again).
   */
  #storedHorizon(user: string, horizon: Horizon): Promise<number> {
    if (horizon.stored !== undefined) return Promise.resolve(horizon.stored);
    horizon.loading ??= this.#loadHorizon(user).then((stored) => {
      horizon.stored = stored;
      horizon.loading = undefined;
      return stored;
    }, (error) => {
      horizon.loading = undefined;
      throw error;
    });
    return horizon.loading;
  }

  /** The stored horizon; a store without one but with seen records gets one covering them. */
  async #loadHorizon(user: string): Promise<number> {
    const entry = await this.#kv.get<Deno.KvU64>(seenHorizonKey(user));
    if (entry.value instanceof Deno.KvU64) return Number(entry.value.value);
    for await (const _ of this.#kv.list({ prefix: seenMessagesPrefix(user) }, { limit: 1 })) {
      const covering = Math.ceil(this.#now() + LEGACY_HORIZON_MARGIN_MS);
      this.#batcher.max(seenHorizonKey(user), BigInt(covering));
      return covering;
    }
    return 0;
  }

  /**
   * Queues a higher horizon ahead of the seen record it covers, so that no commit holds the record
   * without it. KV keeps the larger value (`max`): a horizon never goes down, whichever run wrote.
   */
  #raiseHorizon(user: string, timestamp: number): void {
    // A message without a usable time never takes the memory path (comparisons with NaN fail).
    if (!Number.isFinite(timestamp)) return;
    const horizon = this.#horizon(user);
    if (timestamp <= horizon.queued) return;
    horizon.queued = Math.max(0, Math.ceil(timestamp) + SEEN_HORIZON_AHEAD_MS);
    this.#batcher.max(seenHorizonKey(user), BigInt(horizon.queued));
  }

  /**
   * Undoes {@link markSeen} for a message that could not be delivered after all, so that a
   * redelivery by Messenger is not dropped as a duplicate.
   */
  release(user: string, messengerId: MessageId): void {
    // Remembered as released: a batched write of the mark may reach KV before this delete does.
    this.#cache.set(cacheKey(seenMessageKey(user, messengerId)), { kind: "released" });
    this.#batcher.delete(messageByMessengerIdKey(user, messengerId));
  }

  /** Drops a user's cached records (their KV data is deleted with the user's prefix). */
  forgetUser(user: string): void {
    this.#cache.deleteWhere((id) => id.startsWith(cachePrefix(user)));
    this.#horizons.delete(user);
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

/**
 * A map that keeps about the `capacity` most recently used entries (at least half of them): two
 * generations, the young one taking every write and every hit, the old one dropped whole — each
 * value told to `onDrop` — when the young one is full. Nothing is kept per entry, and no Map is
 * used as a queue: evicting a Map's oldest key one at a time makes V8 skip the holes of all the
 * earlier deletions on each eviction (tens of µs per write at 20,000 entries).
 */
class BoundedCache<V> {
  readonly #half: number;
  readonly #onDrop: (value: V) => void;
  #young = new Map<string, V>();
  #old = new Map<string, V>();

  constructor(capacity: number, onDrop: (value: V) => void = () => {}) {
    this.#half = Math.max(1, Math.ceil(capacity / 2));
    this.#onDrop = onDrop;
  }

  get(key: string): V | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    if (old !== undefined) {
      this.#old.delete(key);
      this.#put(key, old);
    }
    return old;
  }

  set(key: string, value: V): void {
    this.#old.delete(key);
    this.#put(key, value);
  }

  delete(key: string): void {
    this.#young.delete(key);
    this.#old.delete(key);
  }

  deleteWhere(predicate: (key: string) => boolean): void {
    for (const map of [this.#young, this.#old]) {
      for (const key of [...map.keys()]) if (predicate(key)) map.delete(key);
    }
  }

  #put(key: string, value: V): void {
    if (this.#young.size >= this.#half && !this.#young.has(key)) {
      const dropped = this.#old;
      this.#old = this.#young;
      this.#young = new Map();
      for (const gone of dropped.values()) this.#onDrop(gone);
    }
    this.#young.set(key, value);
  }
}
