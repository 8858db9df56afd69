/**
 * A user's archive of one room's messages (a Messenger group), in Deno KV: what XEP-0313 queries on
 * the room JID and the history sent on join are answered from.
 *
 * Why stored per user: rooms are per user (each user sees their own Messenger account's groups),
 * and keys under `["user", bareJid, "room", thread, "mam", …]` go away with unregistration. The
 * archive id of a message is its Messenger message id, which is also the `stanza-id` clients see
 * live, so it is stable across restarts and clients de-duplicate archive and live copies.
 *
 * Layout (each message written once per index, in the same batched commit):
 * - the timeline `[…, "t", timestamp, seq, id]` holds the records in order; `seq` grows with every
 *   append (clock-based, so also across restarts) and keeps equal timestamps in insertion order;
 * - the same records by author `[…, "n", nick, timestamp, seq, id]`, for `with` queries;
 * - the id index `[…, "i", id]` → where the record sits, for ids, `after`/`before` and updates;
 * - message counts per hour and per day (all messages, and per nick), so that the RSM `count` and
 *   `index` of a page come from at most a few dozen small counters plus the messages of the two
 *   partial hours at the ends of the range, never from listing the archive.
 * A page is one `kv.list` over a key range with `limit` (and `reverse` for `before`).
 *
 * Writes go through the {@link WriteBatcher} (no commit of their own) with `expireIn` = what is
 * left of the retention; reads also filter by age, so an expired message is never returned before
 * KV deletes it. Read-after-write: queued writes stay readable through {@link PendingWrites}
 * (single lookups), and range reads first settle them (commit the batch and wait), so a message
 * appended and then queried is always found. Operations on one archive run one after the other.
 *
 * Appending a new message reads nothing from KV in the common case: whether its id is archived
 * already follows from its time and what this process archived (see {@link Tail}), and the hour
 * and day counts it increments are known from the last time they were read or written here. This
 * process is the archive's only writer (one gateway process per store, one {@link RoomArchives}
 * per process, one archive object per room); a write lost by the batcher makes the archive read
 * the counts again.
 *
 * @module
 */

import type { Attachment, Mention } from "../messenger/events.ts";
import type { MessageId, ThreadId, UserId } from "../messenger/ids.ts";
import {
  roomArchiveBackfilledKey,
  roomArchiveByNickPrefix,
  roomArchiveCountPrefix,
  roomArchiveIdKey,
  roomArchiveTimelinePrefix,
} from "./keys.ts";
import { MAX_STORED_ID_LENGTH } from "./message_ids.ts";
import { PendingWrites } from "./pending_writes.ts";
import type { WriteBatcher } from "./write_batcher.ts";

/** How long archived messages are kept by default (the `mam_days` default): 30 days. */
export const DEFAULT_ARCHIVE_DAYS = 30;

/**
 * The longest nick stored: the nick is part of a KV key (Deno KV keys are limited to 2 KiB), and
 * no display name comes close.
 */
export const MAX_ARCHIVED_NICK_LENGTH = 256;

/** Queued writes held in memory before an append waits for them to be committed. */
const DEFAULT_MAX_PENDING_WRITES = 4000;

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const HOURS_PER_DAY = 24;

/** One message of a room as archived: plain values, no XML (the XMPP side renders it). */
export interface ArchivedMessage {
  /** The archive id, which is the Messenger message id and the `stanza-id` clients see. */
  id: MessageId;
  /** When it was sent (ms since the epoch, an integer). */
  timestamp: number;
  /** Its author's Messenger user id. */
  actor: UserId;
  /** The author's nick in the room when it was written (what `with` queries match). */
  nick: string;
  /** Written by the account itself (from XMPP or the official app). */
  fromSelf: boolean;
  /** The id (origin-id) the user's client gave it, when sent from XMPP. */
  originId?: string;
  text: string;
  attachments: Attachment[];
  /** The message it answers (its archive id), with what is known of it for a fallback quote. */
  replyTo?: { id: string; nick?: string; text?: string };
  mentions?: Mention[];
  /** Unsent by its author: kept as a tombstone so ids and paging stay consistent. */
  retracted?: boolean;
}

/** What {@link RoomArchive.update} may change (not where the message sits or who wrote it). */
export type ArchivedMessagePatch = Partial<
  Pick<ArchivedMessage, "text" | "attachments" | "replyTo" | "mentions" | "retracted" | "originId">
>;

/**
 * An archive query with XEP-0313 / XEP-0059 semantics. The full result set is the messages
 * matching `withNick`, `start`, `end`, `afterId`, `beforeId` and `ids`; `after`/`before` page
 * through it (`before` pages backwards from the end, `""` asks for the last page).
 */
export interface ArchiveQuery {
  /** Only messages whose author had this nick when writing. */
  withNick?: string;
  /** Only messages at or after this time (ms since the epoch, may have a fraction). */
  start?: number;
  /** Only messages at or before this time. */
  end?: number;
  /** Only messages after this archived message (exclusive). */
  afterId?: string;
  /** Only messages before this archived message (exclusive). */
  beforeId?: string;
  /** Only these messages (unknown ids are an error). */
  ids?: readonly string[];
  /** Page size; 0 asks only for the count. */
  max: number;
  /** RSM: the page after this archive id. */
  after?: string;
  /** RSM: the page before this archive id; `""` for the last page. */
  before?: string;
  /** Return the page newest first (XEP-0313 flip-page); `first`/`last` stay chronological. */
  flip?: boolean;
}

/** One page of results, as XEP-0313's `<fin>` and RSM need it. */
export interface ArchivePage {
  /** Chronological, unless the query flipped the page. */
  messages: ArchivedMessage[];
  /** No more results in the paging direction (`<fin complete='true'>`). */
  complete: boolean;
  /** Id of the chronologically first message of the page (absent when the page is empty). */
  first?: string;
  /** Position of `first` in the full result set (RSM `<first index>`). */
  firstIndex?: number;
  /** Id of the chronologically last message of the page. */
  last?: string;
  /** Size of the full result set (exact). */
  count: number;
}

/** Options of {@link RoomArchive.recent}, from XEP-0045's `<history/>`. */
export interface RecentOptions {
  /** Stop before the total of `charsOf` over the messages would exceed this (`maxchars`). */
  maxChars?: number;
  /** Only messages at or after this time (`seconds` and `since`, in ms since the epoch). */
  sinceMs?: number;
  /** The size a message counts for `maxChars`; default its text length. */
  charsOf?: (message: ArchivedMessage) => number;
}

/**
 * An archive id that the archive does not hold (never stored, or older than the retention), named
 * by a query's `after-id`, `before-id`, `ids`, or RSM `after`/`before`. The XMPP side answers it
 * with `item-not-found` (src/xmpp/mam.ts, `mamError`).
 */
export class UnknownArchiveIdError extends Error {
  override name = "UnknownArchiveIdError";
  constructor(readonly id: string) {
    super(`No message with the id ${id.length > 80 ? `${id.slice(0, 80)}…` : id} in the archive`);
  }
}

/** One room's archive for one user. Get it from {@link RoomArchives.forRoom}. */
export interface RoomArchive {
  /**
   * Archives a message; a message with the same id replaces the earlier one (never a duplicate),
   * moving it if its time or nick changed. A message keeps its time (as Messenger's do): one
   * archived before this process's first append here, or long before, is found again at its time
   * or an earlier one, not at a time later than everything archived then (that one is taken for a
   * new message without reading KV, see {@link Tail}). Does nothing when the retention is 0 or the
   * message is already older than the retention. Rejects with a RangeError for an empty or
   * over-long id, a timestamp that is not an integer, or an over-long nick (caller bugs).
   */
  append(message: ArchivedMessage): Promise<void>;
  /** Changes a stored message (retraction, edit); the updated message, or `null` when unknown. */
  update(id: string, patch: ArchivedMessagePatch): Promise<ArchivedMessage | null>;
  /** The message with this archive id; `null` when unknown or expired. */
  get(id: string): Promise<ArchivedMessage | null>;
  /**
   * A page of results. Rejects with {@link UnknownArchiveIdError} for an unknown id and with a
   * RangeError for a `max` that is not a non-negative integer or a non-finite time.
   */
  query(query: ArchiveQuery): Promise<ArchivePage>;
  /** The newest `limit` messages (after `sinceMs`, within `maxChars`), oldest first: join history. */
  recent(limit: number, options?: RecentOptions): Promise<ArchivedMessage[]>;
  /** How many messages the archive holds. */
  count(): Promise<number>;
  /** The oldest and newest message (XEP-0313 archive metadata); `null` when empty. */
  bounds(): Promise<{ first: ArchivedMessage; last: ArchivedMessage } | null>;
  /** Records that the room's history was fetched from Messenger into the archive. */
  markBackfilled(): Promise<void>;
  /** True once {@link markBackfilled} was called for this room (survives restarts). */
  isBackfilled(): Promise<boolean>;
}

/** Retention and test hooks. */
export interface RoomArchiveOptions {
  /** How many days messages are kept; 0 keeps nothing. Default {@link DEFAULT_ARCHIVE_DAYS}. */
  retentionDays?: number;
  /** The clock (ms since the epoch); tests pass a fake one. */
  now?: () => number;
  /** Queued writes held in memory before appends wait for a commit (default 4000). */
  maxPendingWrites?: number;
}

/** The room archives of all users, over one KV database and its write batcher. */
export class RoomArchives {
  readonly #kv: Deno.Kv;
  readonly #batcher: WriteBatcher;
  readonly #pending: PendingWrites;
  readonly #retentionMs: number;
  readonly #now: () => number;
  readonly #maxPending: number;
  readonly #archives = new Map<string, KvRoomArchive>();
  #lastSeq = 0;

  constructor(kv: Deno.Kv, batcher: WriteBatcher, options: RoomArchiveOptions = {}) {
    const days = options.retentionDays ?? DEFAULT_ARCHIVE_DAYS;
    if (!Number.isFinite(days) || days < 0) {
      throw new RangeError(`The archive retention must be a number of days ≥ 0, not ${days}`);
    }
    this.#kv = kv;
    this.#batcher = batcher;
    this.#pending = new PendingWrites(kv, batcher);
    this.#retentionMs = days * DAY_MS;
    this.#now = options.now ?? Date.now;
    this.#maxPending = options.maxPendingWrites ?? DEFAULT_MAX_PENDING_WRITES;
  }

  /** The archive of one of a user's rooms (the same object for the same room). */
  forRoom(user: string, thread: ThreadId): RoomArchive {
    const key = `${user}\u0000${thread}`;
    let archive = this.#archives.get(key);
    if (archive === undefined) {
      archive = new KvRoomArchive(this.#context(), user, thread);
      this.#archives.set(key, archive);
    }
    return archive;
  }

  /** Drops the user's archive objects (unregistration; their KV data goes with the user prefix). */
  forgetUser(user: string): void {
    for (const key of [...this.#archives.keys()]) {
      if (key.startsWith(`${user}\u0000`)) this.#archives.delete(key);
    }
  }

  #context(): ArchiveContext {
    return {
      kv: this.#kv,
      pending: this.#pending,
      retentionMs: this.#retentionMs,
      now: () => Math.floor(this.#now()),
      maxPending: this.#maxPending,
      lostWrites: () => this.#batcher.lost,
      nextSeq: () => {
        // Microseconds of the clock, or one more than the last: increasing within a run, and
        // (with a clock that moves forward) across restarts.
        this.#lastSeq = Math.max(this.#lastSeq + 1, Math.floor(this.#now()) * 1000);
        return this.#lastSeq;
      },
    };
  }
}

interface ArchiveContext {
  kv: Deno.Kv;
  pending: PendingWrites;
  retentionMs: number;
  now(): number;
  maxPending: number;
  /** The batcher's count of lost writes ({@link WriteBatcher.lost}). */
  lostWrites(): number;
  nextSeq(): number;
}

/** Where a message sits: the id index's value. */
interface Placement {
  timestamp: number;
  seq: number;
  nick: string;
}

/** A placement together with the id it belongs to. */
interface Position extends Placement {
  id: string;
}

/** The keys of one ordered index of messages and its hour and day counts. */
interface Stream {
  /** Tells the archive's streams apart (in the ids of counts held in memory). */
  name: string;
  records: Deno.KvKey;
  hours: Deno.KvKey;
  days: Deno.KvKey;
}

/** Ids a {@link Tail} remembers before it moves its line up and forgets them. */
const MAX_TAIL_IDS = 256;
/** Counts an archive keeps in memory before it starts over (a few per author and hour). */
const MAX_KNOWN_COUNTS = 512;
/** Authors whose stream keys an archive keeps built. */
const MAX_KNOWN_NICKS = 256;

/**
 * Which messages an archive holds, as far as an append needs to know without reading its id:
 * every id archived is either in {@link above} (archived by this process, at a time after
 * {@link line}) or was archived at a time at or before {@link line} (at first, the newest time
 * in the timeline when this process first appended to the room; it only moves up). Messenger
 * gives a message the same time at every delivery (the seen horizon in message_ids.ts rests on
 * this too), so a message later than the line and not in {@link above} was never archived: it
 * replaces nothing, and no KV read is needed to know it. Only a message at or before the line (a
 * redelivery, history) or one archived in this run has its id read. Right while this process is
 * the only writer of the archive (one gateway process per store); a write lost by the batcher
 * only removes ids, which keeps it right.
 */
class Tail {
  /** Messages archived by this process after {@link line}. */
  readonly above = new Set<string>();
  /** The newest time archived. */
  #newest: number;

  constructor(public line: number) {
    this.#newest = line;
  }

  /** Records a message just archived; past {@link MAX_TAIL_IDS} ids, the line moves up. */
  archived(message: { id: string; timestamp: number }): void {
    this.#newest = Math.max(this.#newest, message.timestamp);
    if (message.timestamp <= this.line) return;
    this.above.add(message.id);
    if (this.above.size > MAX_TAIL_IDS) {
      this.line = this.#newest;
      this.above.clear();
    }
  }
}

/**
 * A key relative to a stream's record prefix: `[timestamp]` (before every message of that time),
 * `[timestamp, seq, id]` (a message), or {@link justAfter} a message.
 */
type Bound = Deno.KvKeyPart[];

/** Sorts before every other key part, so `[…key, JUST_AFTER]` is the first key after `key`. */
const JUST_AFTER = new Uint8Array(0);

class KvRoomArchive implements RoomArchive {
  readonly #ctx: ArchiveContext;
  readonly #user: string;
  readonly #thread: string;
  readonly #timeline: Stream;
  /** The tail of this archive's operations: each runs after the previous one settled. */
  #chain: Promise<unknown> = Promise.resolve();
  /** Which appends are new messages, known without a read once loaded (see {@link Tail}). */
  #tail: Tail | undefined;
  /**
   * Hour and day counts ({@link CountChange.id} → value) as last read or written here: this
   * process is their only writer (one gateway process per store, one archive object per room),
   * so what it wrote need not be read back. Forgotten when the batcher lost writes (KV may then
   * hold less than was counted here) and when it grows past {@link MAX_KNOWN_COUNTS}.
   */
  readonly #counts = new Map<string, number>();
  /** The batcher's lost writes when {@link #counts} was last known to agree with KV. */
  #lostWrites: number;
  /** Each author's stream (its keys), built once. */
  readonly #nickStreams = new Map<string, Stream>();

  constructor(ctx: ArchiveContext, user: string, thread: string) {
    this.#ctx = ctx;
    this.#user = user;
    this.#thread = thread;
    this.#lostWrites = ctx.lostWrites();
    this.#timeline = {
      name: "t",
      records: roomArchiveTimelinePrefix(user, thread),
      hours: roomArchiveCountPrefix(user, thread, "hour"),
      days: roomArchiveCountPrefix(user, thread, "day"),
    };
  }

  append(message: ArchivedMessage): Promise<void> {
    try {
      checkArchivable(message);
    } catch (error) {
      return Promise.reject(error);
    }
    const copy = copyOf(message);
    return this.#write(() => this.#append(copy));
  }

  update(id: string, patch: ArchivedMessagePatch): Promise<ArchivedMessage | null> {
    return this.#write(() => this.#update(id, structuredClone(patch)));
  }

  get(id: string): Promise<ArchivedMessage | null> {
    return this.#read(async () => {
      const position = await this.#find(id);
      if (position === null) return null;
      const record = await this.#ctx.pending.get<ArchivedMessage>(this.#recordKey(position));
      return record === null ? null : structuredClone(record);
    });
  }

  query(query: ArchiveQuery): Promise<ArchivePage> {
    return this.#read(() => this.#query(query));
  }

  recent(limit: number, options: RecentOptions = {}): Promise<ArchivedMessage[]> {
    return this.#read(() => this.#recent(limit, options));
  }

  count(): Promise<number> {
    return this.#read(async () => {
      await this.#ctx.pending.settle();
      return this.#countRange(this.#timeline, [this.#cutoff()], undefined);
    });
  }

  bounds(): Promise<{ first: ArchivedMessage; last: ArchivedMessage } | null> {
    return this.#read(async () => {
      await this.#ctx.pending.settle();
      const selector = { prefix: this.#timeline.records, start: this.#fromKey([this.#cutoff()]) };
      const [first] = await listValues<ArchivedMessage>(this.#ctx.kv, selector, { limit: 1 });
      const [last] = await listValues<ArchivedMessage>(this.#ctx.kv, selector, {
        limit: 1,
        reverse: true,
      });
      return first && last ? { first: first.value, last: last.value } : null;
    });
  }

  markBackfilled(): Promise<void> {
    return this.#write(() => {
      // Queued after the backfilled messages, so it never lands in KV before them.
      this.#ctx.pending.set(roomArchiveBackfilledKey(this.#user, this.#thread), this.#ctx.now());
      return Promise.resolve();
    });
  }

  isBackfilled(): Promise<boolean> {
    return this.#read(async () =>
      (await this.#ctx.pending.get(roomArchiveBackfilledKey(this.#user, this.#thread))) !== null
    );
  }

  // ---- writing

  /** Runs a write after every earlier operation of this archive. */
  #write<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(operation);
    this.#chain = run.catch(() => {});
    return run;
  }

  /** Runs a read after every earlier write (later writes need not wait for it). */
  #read<T>(operation: () => Promise<T>): Promise<T> {
    return this.#chain.then(operation);
  }

  async #append(message: ArchivedMessage): Promise<void> {
    const { pending, retentionMs } = this.#ctx;
    if (retentionMs <= 0) return;
    const expireIn = message.timestamp + retentionMs - this.#ctx.now();
    const idKey = roomArchiveIdKey(this.#user, this.#thread, message.id);
    const placement: Placement = { timestamp: message.timestamp, seq: 0, nick: message.nick };
    const tail = this.#tail ?? await this.#loadTail();
    // A message known to be new replaces nothing: its id need not be read.
    const unarchived = message.timestamp > tail.line && !tail.above.has(message.id);
    if (unarchived && expireIn <= 0) return; // Too old to keep, and nothing to remove.
    const added = countChanges(this.#streamsOf(placement), placement, +1);
    const known = this.#knownCounts();
    // At most one KV read: the id (is it a replacement?) and the counts not known in memory.
    const missing = added.filter((change) => !known.has(change.id));
    const keys = [...(unarchived ? [] : [idKey]), ...missing.map((change) => change.key)];
    const read = keys.length === 0 ? [] : await pending.getMany<unknown>(keys);
    const stored = unarchived ? null : read.shift();
    missing.forEach((change, i) => known.set(change.id, asCount(read[i])));
    const old = this.#fresh(stored) ? { ...stored, id: message.id } : null;

    if (expireIn <= 0) {
      // Too old to keep: a replacement of a kept message removes it.
      if (old !== null) {
        this.#deleteRecords(old);
        pending.delete(idKey);
        await this.#adjustCounts(countChanges(this.#streamsOf(old), old, -1));
      }
      return;
    }
    if (old !== null && old.timestamp === message.timestamp && old.nick === message.nick) {
      placement.seq = old.seq; // Same place: the records are overwritten, the counts stay.
    } else {
      placement.seq = this.#ctx.nextSeq();
      const changes = [...added];
      if (old !== null) {
        this.#deleteRecords(old);
        changes.push(...countChanges(this.#streamsOf(old), old, -1));
      }
      await this.#adjustCounts(changes);
    }
    const position = { ...placement, id: message.id };
    for (const stream of this.#streamsOf(position)) {
      pending.set([...stream.records, ...at(position)], message, { expireIn });
    }
    pending.set(idKey, placement, { expireIn });
    tail.archived(message);
    if (pending.size > this.#ctx.maxPending) await pending.settle();
  }

  /**
   * Where the archive ends, read once before the first append of this process: the writes still
   * queued are committed first, so the newest message is whatever the timeline lists last.
   */
  async #loadTail(): Promise<Tail> {
    await this.#ctx.pending.settle();
    const [last] = await listValues<unknown>(
      this.#ctx.kv,
      { prefix: this.#timeline.records },
      { limit: 1, reverse: true },
    );
    const time = last?.key[this.#timeline.records.length];
    // A key that is not a time (never written so) proves nothing: every append then reads.
    this.#tail = new Tail(
      last === undefined ? -Infinity : typeof time === "number" ? time : Infinity,
    );
    return this.#tail;
  }

  /** {@link #counts}, emptied first when it may no longer agree with KV or grew too large. */
  #knownCounts(): Map<string, number> {
    const lost = this.#ctx.lostWrites();
    if (lost !== this.#lostWrites || this.#counts.size > MAX_KNOWN_COUNTS) {
      this.#counts.clear();
      this.#lostWrites = lost;
    }
    return this.#counts;
  }

  /** Queues the deletion of a message's records (not its id entry). */
  #deleteRecords(position: Position): void {
    for (const stream of this.#streamsOf(position)) {
      this.#ctx.pending.delete([...stream.records, ...at(position)]);
    }
  }

  /**
   * Applies count changes (read, add, write; serialised per archive, and the values known in
   * memory are not read again). A count that falls to 0 is deleted; the others expire with the
   * last message of their hour or day.
   */
  async #adjustCounts(changes: CountChange[]): Promise<void> {
    const { pending, retentionMs } = this.#ctx;
    const net = new Map<string, CountChange>();
    for (const change of changes) {
      const sum = net.get(change.id);
      net.set(
        change.id,
        sum === undefined ? { ...change } : { ...sum, delta: sum.delta + change.delta },
      );
    }
    const effective = [...net.values()].filter((change) => change.delta !== 0);
    const known = this.#counts;
    const missing = effective.filter((change) => !known.has(change.id));
    const read = await pending.getMany<unknown>(missing.map((change) => change.key));
    missing.forEach((change, i) => known.set(change.id, asCount(read[i])));
    const now = this.#ctx.now();
    for (const { id, key, delta, end } of effective) {
      const value = Math.max(0, (known.get(id) ?? 0) + delta);
      known.set(id, value);
      if (value > 0) pending.set(key, value, { expireIn: end + retentionMs - now });
      else pending.delete(key);
    }
  }

  async #update(id: string, patch: ArchivedMessagePatch): Promise<ArchivedMessage | null> {
    const position = await this.#find(id);
    if (position === null) return null;
    const { pending, retentionMs } = this.#ctx;
    const record = await pending.get<ArchivedMessage>(this.#recordKey(position));
    if (record === null) return null;
    const updated: ArchivedMessage = {
      ...record,
      ...patch,
      id: record.id,
      timestamp: record.timestamp,
      actor: record.actor,
      nick: record.nick,
      fromSelf: record.fromSelf,
    };
    const expireIn = record.timestamp + retentionMs - this.#ctx.now();
    for (const stream of this.#streamsOf(position)) {
      pending.set([...stream.records, ...at(position)], updated, { expireIn });
    }
    return structuredClone(updated);
  }

  // ---- reading

  async #query(query: ArchiveQuery): Promise<ArchivePage> {
    checkQuery(query);
    await this.#ctx.pending.settle();
    const stream = query.withNick === undefined ? this.#timeline : this.#byNick(query.withNick);

    // The full result set: [lower, upper) in the stream.
    let lower: Bound = [this.#cutoff()];
    let upper: Bound | undefined;
    if (query.start !== undefined) lower = later(lower, [Math.ceil(query.start)]);
    if (query.end !== undefined) upper = [Math.floor(query.end) + 1];
    if (query.afterId !== undefined) lower = later(lower, justAfter(await this.#at(query.afterId)));
    if (query.beforeId !== undefined) upper = earlier(upper, at(await this.#at(query.beforeId)));

    // The part of it that the page is taken from.
    let pageLower = lower;
    let pageUpper = upper;
    if (query.after !== undefined) {
      pageLower = later(pageLower, justAfter(await this.#at(query.after)));
    }
    if (query.before) pageUpper = earlier(pageUpper, at(await this.#at(query.before)));
    const backwards = query.before !== undefined;

    if (query.withNick !== undefined && query.withNick.length > MAX_ARCHIVED_NICK_LENGTH) {
      return pageOf([], true, 0, undefined, query.flip); // No message has such a nick.
    }
    if (query.ids !== undefined) {
      return this.#queryIds(query, { lower, upper, pageLower, pageUpper, backwards });
    }

    const entries = isEmptyRange(pageLower, pageUpper) ? [] : await listValues<ArchivedMessage>(
      this.#ctx.kv,
      this.#selector(stream, pageLower, pageUpper),
      { limit: query.max + 1, reverse: backwards },
    );
    const page = entries.slice(0, query.max);
    if (backwards) page.reverse();
    const count = await this.#countRange(stream, lower, upper);

    // Where the page starts in the full set: known for the first and last page, counted otherwise.
    let firstIndex: number | undefined;
    if (page.length > 0 && !backwards && query.after === undefined) firstIndex = 0;
    else if (page.length > 0 && query.before === "") firstIndex = count - page.length;
    else if (page.length > 0) {
      firstIndex = await this.#countRange(stream, lower, page[0].key.slice(stream.records.length));
    }
    return pageOf(
      page.map((entry) => entry.value),
      entries.length <= query.max,
      count,
      firstIndex,
      query.flip,
    );
  }

  /** A query naming its messages: filtered and paged in memory (ids come in small numbers). */
  async #queryIds(
    query: ArchiveQuery,
    range: { lower: Bound; upper?: Bound; pageLower: Bound; pageUpper?: Bound; backwards: boolean },
  ): Promise<ArchivePage> {
    const ids = [...new Set(query.ids)];
    const positions = await this.#atAll(ids);
    const inRange = (bound: Bound, lower: Bound, upper: Bound | undefined) =>
      compareBounds(bound, lower) >= 0 && (upper === undefined || compareBounds(bound, upper) < 0);
    const matching = positions
      .filter((p) => query.withNick === undefined || p.nick === query.withNick)
      .filter((p) => inRange(at(p), range.lower, range.upper))
      .sort((a, b) => compareBounds(at(a), at(b)));
    const pageable = matching.filter((p) => inRange(at(p), range.pageLower, range.pageUpper));
    const page = range.backwards
      ? pageable.slice(Math.max(0, pageable.length - query.max))
      : pageable.slice(0, query.max);
    const records = await this.#ctx.pending.getMany<ArchivedMessage>(
      page.map((p) => this.#recordKey(p)),
    );
    const messages = records.filter((record): record is ArchivedMessage => record !== null);
    const firstIndex = page.length > 0 ? matching.indexOf(page[0]) : undefined;
    return pageOf(messages, pageable.length <= query.max, matching.length, firstIndex, query.flip);
  }

  async #recent(limit: number, options: RecentOptions): Promise<ArchivedMessage[]> {
    if (!(limit > 0) || (options.maxChars !== undefined && options.maxChars <= 0)) return [];
    await this.#ctx.pending.settle();
    let lower: Bound = [this.#cutoff()];
    if (options.sinceMs !== undefined) lower = later(lower, [Math.ceil(options.sinceMs)]);
    const newestFirst = await listValues<ArchivedMessage>(
      this.#ctx.kv,
      this.#selector(this.#timeline, lower, undefined),
      { limit: Math.floor(limit), reverse: true },
    );
    const charsOf = options.charsOf ?? ((message: ArchivedMessage) => message.text.length);
    const chosen: ArchivedMessage[] = [];
    let chars = 0;
    for (const { value } of newestFirst) {
      if (options.maxChars !== undefined) {
        chars += charsOf(value);
        if (chars > options.maxChars) break;
      }
      chosen.push(value);
    }
    return chosen.reverse();
  }

  /**
   * How many messages of `stream` lie in `[lower, upper)`: the hour and day counts of the whole
   * hours inside, plus the messages of the partial hours at both ends, listed.
   */
  async #countRange(stream: Stream, lower: Bound, upper: Bound | undefined): Promise<number> {
    if (isEmptyRange(lower, upper)) return 0;
    const firstHour = Math.floor((lower[0] as number) / HOUR_MS);
    if (upper === undefined) {
      const [head, rest] = await Promise.all([
        this.#countListed(stream, lower, [(firstHour + 1) * HOUR_MS]),
        this.#sumHours(stream, firstHour + 1, undefined),
      ]);
      return head + rest;
    }
    const lastHour = Math.floor((upper[0] as number) / HOUR_MS);
    if (firstHour === lastHour) return this.#countListed(stream, lower, upper);
    const counts = await Promise.all([
      this.#countListed(stream, lower, [(firstHour + 1) * HOUR_MS]),
      this.#sumHours(stream, firstHour + 1, lastHour),
      this.#countListed(stream, [lastHour * HOUR_MS], upper),
    ]);
    return counts[0] + counts[1] + counts[2];
  }

  /** Messages in the whole hours `[from, to)` (to the end when `to` is undefined). */
  async #sumHours(stream: Stream, from: number, to: number | undefined): Promise<number> {
    const firstDay = Math.ceil(from / HOURS_PER_DAY);
    const lastDay = to === undefined ? undefined : Math.floor(to / HOURS_PER_DAY);
    if (lastDay !== undefined && firstDay >= lastDay) {
      return this.#sumCounts(stream.hours, from, to);
    }
    const sums = await Promise.all([
      this.#sumCounts(stream.hours, from, firstDay * HOURS_PER_DAY),
      this.#sumCounts(stream.days, firstDay, lastDay),
      lastDay === undefined ? 0 : this.#sumCounts(stream.hours, lastDay * HOURS_PER_DAY, to),
    ]);
    return sums[0] + sums[1] + sums[2];
  }

  async #sumCounts(prefix: Deno.KvKey, from: number, to: number | undefined): Promise<number> {
    if (to !== undefined && from >= to) return 0;
    const selector = to === undefined
      ? { prefix, start: [...prefix, from] }
      : { start: [...prefix, from], end: [...prefix, to] };
    let sum = 0;
    for await (const entry of this.#ctx.kv.list(selector)) sum += asCount(entry.value);
    return sum;
  }

  async #countListed(stream: Stream, lower: Bound, upper: Bound): Promise<number> {
    if (isEmptyRange(lower, upper)) return 0;
    let n = 0;
    for await (const _ of this.#ctx.kv.list(this.#selector(stream, lower, upper))) n++;
    return n;
  }

  // ---- helpers

  /** The position of a stored, unexpired message; `null` otherwise. */
  async #find(id: string): Promise<Position | null> {
    if (id === "" || id.length > MAX_STORED_ID_LENGTH) return null;
    const stored = await this.#ctx.pending.get(roomArchiveIdKey(this.#user, this.#thread, id));
    return this.#fresh(stored) ? { ...stored, id } : null;
  }

  /** The position of a message a query names; UnknownArchiveIdError when it is not archived. */
  async #at(id: string): Promise<Position> {
    const position = await this.#find(id);
    if (position === null) throw new UnknownArchiveIdError(id);
    return position;
  }

  async #atAll(ids: readonly string[]): Promise<Position[]> {
    const storable = ids.filter((id) => id !== "" && id.length <= MAX_STORED_ID_LENGTH);
    const stored = await this.#ctx.pending.getMany(
      storable.map((id) => roomArchiveIdKey(this.#user, this.#thread, id)),
    );
    const found = new Map<string, Position>();
    storable.forEach((id, i) => {
      const placement = stored[i];
      if (this.#fresh(placement)) found.set(id, { ...placement, id });
    });
    return ids.map((id) => {
      const position = found.get(id);
      if (position === undefined) throw new UnknownArchiveIdError(id);
      return position;
    });
  }

  #fresh(value: unknown): value is Placement {
    return isPlacement(value) && value.timestamp >= this.#cutoff();
  }

  /** The first timestamp still within the retention. */
  #cutoff(): number {
    return this.#ctx.now() - this.#ctx.retentionMs + 1;
  }

  /** The indexes a message is in: the timeline and its author's. */
  #streamsOf(placement: { nick: string }): Stream[] {
    return [this.#timeline, this.#byNick(placement.nick)];
  }

  #byNick(nick: string): Stream {
    let stream = this.#nickStreams.get(nick);
    if (stream === undefined) {
      if (this.#nickStreams.size >= MAX_KNOWN_NICKS) this.#nickStreams.clear();
      stream = {
        name: `n\u0000${nick}`,
        records: roomArchiveByNickPrefix(this.#user, this.#thread, nick),
        hours: roomArchiveCountPrefix(this.#user, this.#thread, "hour", nick),
        days: roomArchiveCountPrefix(this.#user, this.#thread, "day", nick),
      };
      this.#nickStreams.set(nick, stream);
    }
    return stream;
  }

  #recordKey(position: Position): Deno.KvKey {
    return [...this.#timeline.records, ...at(position)];
  }

  #fromKey(bound: Bound): Deno.KvKey {
    return [...this.#timeline.records, ...bound];
  }

  #selector(stream: Stream, lower: Bound, upper: Bound | undefined): Deno.KvListSelector {
    const start = [...stream.records, ...lower];
    return upper === undefined
      ? { prefix: stream.records, start }
      : { start, end: [...stream.records, ...upper] };
  }
}

function checkArchivable(message: ArchivedMessage): void {
  if (message.id === "") throw new RangeError("An archived message needs an id");
  if (message.id.length > MAX_STORED_ID_LENGTH) {
    throw new RangeError(
      `A message id is too long to archive: ${message.id.length} characters (at most ${MAX_STORED_ID_LENGTH})`,
    );
  }
  if (!Number.isSafeInteger(message.timestamp)) {
    throw new RangeError(
      `An archived message needs an integer timestamp, not ${message.timestamp}`,
    );
  }
  if (message.nick.length > MAX_ARCHIVED_NICK_LENGTH) {
    throw new RangeError(
      `A nick is too long to archive: ${message.nick.length} characters (at most ${MAX_ARCHIVED_NICK_LENGTH})`,
    );
  }
}

function checkQuery(query: ArchiveQuery): void {
  if (!Number.isSafeInteger(query.max) || query.max < 0) {
    throw new RangeError(`The page size must be an integer ≥ 0, not ${query.max}`);
  }
  for (const [name, time] of [["start", query.start], ["end", query.end]] as const) {
    if (time !== undefined && !Number.isFinite(time)) {
      throw new RangeError(`The ${name} of a query must be a finite time, not ${time}`);
    }
  }
}

function pageOf(
  messages: ArchivedMessage[],
  complete: boolean,
  count: number,
  firstIndex: number | undefined,
  flip: boolean | undefined,
): ArchivePage {
  const page: ArchivePage = { messages, complete, count };
  if (messages.length > 0) {
    page.first = messages[0].id;
    page.firstIndex = firstIndex;
    page.last = messages[messages.length - 1].id;
  }
  if (flip) page.messages = [...messages].reverse();
  return page;
}

/** A change to one hour or day count; `end` is when that hour or day ends (ms). */
interface CountChange {
  /** Names the count within its archive: its stream, unit and number. */
  id: string;
  key: Deno.KvKey;
  delta: number;
  end: number;
}

/** The hour and day counts a message at `timestamp` is in, in each of `streams`, changed by `delta`. */
function countChanges(
  streams: Stream[],
  message: { timestamp: number },
  delta: number,
): CountChange[] {
  const hour = Math.floor(message.timestamp / HOUR_MS);
  const day = Math.floor(message.timestamp / DAY_MS);
  return streams.flatMap((stream) => [
    {
      id: `${stream.name}\u0000h${hour}`,
      key: [...stream.hours, hour],
      delta,
      end: (hour + 1) * HOUR_MS,
    },
    {
      id: `${stream.name}\u0000d${day}`,
      key: [...stream.days, day],
      delta,
      end: (day + 1) * DAY_MS,
    },
  ]);
}

/**
 * A copy of a message that shares nothing the caller could change with what is stored: what
 * `structuredClone` gave, for the shape of {@link ArchivedMessage} (its parts are flat records),
 * at a fraction of its cost on the path of every room message.
 */
function copyOf(message: ArchivedMessage): ArchivedMessage {
  const copy = { ...message, attachments: message.attachments.map((part) => ({ ...part })) };
  if (message.replyTo) copy.replyTo = { ...message.replyTo };
  if (message.mentions) copy.mentions = message.mentions.map((mention) => ({ ...mention }));
  return copy;
}

function asCount(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

function isPlacement(value: unknown): value is Placement {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return typeof record.timestamp === "number" && typeof record.seq === "number" &&
    typeof record.nick === "string";
}

/** The key of a message, relative to a stream. */
function at(position: Position): Bound {
  return [position.timestamp, position.seq, position.id];
}

/** The first key after a message, relative to a stream. */
function justAfter(position: Position): Bound {
  return [...at(position), JUST_AFTER];
}

function later(a: Bound, b: Bound): Bound {
  return compareBounds(a, b) >= 0 ? a : b;
}

function earlier(a: Bound | undefined, b: Bound): Bound {
  return a === undefined || compareBounds(a, b) <= 0 ? a ?? b : b;
}

function isEmptyRange(lower: Bound, upper: Bound | undefined): boolean {
  return upper !== undefined && compareBounds(lower, upper) >= 0;
}

/**
 * Orders relative keys as Deno KV orders keys: part by part, a prefix before its extensions, and
 * across types Uint8Array < string < bigint < number < boolean; strings by their UTF-8 bytes.
 */
export function compareBounds(a: Bound, b: Bound): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const order = compareParts(a[i], b[i]);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

function compareParts(a: Deno.KvKeyPart, b: Deno.KvKeyPart): number {
  const rank = typeRank(a) - typeRank(b);
  if (rank !== 0) return rank;
  if (typeof a === "string" && typeof b === "string") {
    return compareBytes(UTF8.encode(a), UTF8.encode(b));
  }
  if (a instanceof Uint8Array && b instanceof Uint8Array) return compareBytes(a, b);
  if (a === b) return 0;
  return (a as number | bigint | boolean) < (b as number | bigint | boolean) ? -1 : 1;
}

const UTF8 = new TextEncoder();

function typeRank(part: Deno.KvKeyPart): number {
  if (part instanceof Uint8Array) return 0;
  switch (typeof part) {
    case "string":
      return 1;
    case "bigint":
      return 2;
    case "number":
      return 3;
    default:
      return 4;
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}

async function listValues<T>(
  kv: Deno.Kv,
  selector: Deno.KvListSelector,
  options: Deno.KvListOptions,
): Promise<{ key: Deno.KvKey; value: T }[]> {
  const entries: { key: Deno.KvKey; value: T }[] = [];
  for await (const entry of kv.list<T>(selector, options)) {
    entries.push({ key: entry.key, value: entry.value });
  }
  return entries;
}
