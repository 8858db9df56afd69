/**
 * Batches KV writes on hot paths (message id mappings, counters) into atomic commits.
 *
 * One atomic commit of 100 sets costs about what one single set costs (see the KV figures in
 * the notes), so callers enqueue and the batcher commits every `intervalMs` or when a batch is
 * full (KV allows 1000 mutations per atomic operation). {@link WriteBatcher.flush} waits for
 * everything enqueued so far; {@link WriteBatcher.close} flushes and stops.
 *
 * @module
 */

import { storeLog } from "../log.ts";
import { LogThrottle } from "../log_throttle.ts";

type Mutation =
  | { kind: "set"; key: Deno.KvKey; value: unknown; expireIn?: number; taken?: boolean }
  | { kind: "delete"; key: Deno.KvKey }
  | { kind: "sum"; key: Deno.KvKey; n: bigint }
  | { kind: "max"; key: Deno.KvKey; n: bigint };

/**
 * A queued set, whose value may still be replaced while it waits: a record that is soon rewritten
 * (a message's seen mark, by its link) then costs one write.
 */
export interface QueuedWrite {
  /** Replaces the value, keeping the write's place in the queue; false once it is committing. */
  replace(value: unknown): boolean;
}

/** KV's limit of mutations in one atomic operation. */
export const MAX_MUTATIONS_PER_COMMIT = 1000;

/** Collects writes and commits them in batches. */
export class WriteBatcher {
  #kv: Deno.Kv;
  #queue: Mutation[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> = Promise.resolve();
  /** The commit queued behind the running one, which flushes asked for meanwhile share. */
  #next: Promise<void> | undefined;
  /** Writes queued since the batcher was made, and how many of them a flush already covers. */
  #queued = 0;
  #flushRequested = 0;
  #intervalMs: number;
  #maxBatch: number;
  #closed = false;
  #lost = 0;
  readonly #failures = new LogThrottle();

  constructor(kv: Deno.Kv, options: { intervalMs?: number; maxBatch?: number } = {}) {
    this.#kv = kv;
    this.#intervalMs = options.intervalMs ?? 20;
    this.#maxBatch = Math.min(options.maxBatch ?? 500, MAX_MUTATIONS_PER_COMMIT);
  }

  /** Queues a set; the handle replaces its value while it is still queued. */
  set(key: Deno.KvKey, value: unknown, options: { expireIn?: number } = {}): QueuedWrite {
    const mutation: Extract<Mutation, { kind: "set" }> = {
      kind: "set",
      key,
      value,
      expireIn: options.expireIn,
    };
    this.#push(mutation);
    return {
      replace: (next) => {
        if (mutation.taken) return false;
        mutation.value = next;
        return true;
      },
    };
  }

  /** Queues a delete. */
  delete(key: Deno.KvKey): void {
    this.#push({ kind: "delete", key });
  }

  /** Queues adding `n` to a `Deno.KvU64` counter. */
  sum(key: Deno.KvKey, n: bigint): void {
    this.#push({ kind: "sum", key, n });
  }

  /** Queues raising a `Deno.KvU64` to at least `n` (KV keeps the larger value). */
  max(key: Deno.KvKey, n: bigint): void {
    this.#push({ kind: "max", key, n });
  }

  /** Number of writes waiting. */
  get pending(): number {
    return this.#queue.length;
  }

  /**
   * How many queued writes were lost so far (refused or failed commits; never lowered). Code that
   * keeps in memory what it wrote, to avoid reading it back, compares this between its writes: a
   * change means KV may hold less than it remembers.
   */
  get lost(): number {
    return this.#lost;
  }

  /**
   * Commits everything queued so far and waits for it. Flushes asked for while a commit runs share
   * the next one (a group commit), which takes everything they cover: a burst of callers that each
   * need their writes durable costs a commit per commit time, not a commit each.
   */
  flush(): Promise<void> {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    // Nothing waits: what was queued is committed, or in the commit running now.
    if (this.#queue.length === 0) return this.#running;
    this.#flushRequested = this.#queued;
    this.#next ??= this.#running.then(() => {
      this.#next = undefined;
      return this.#drain(this.#flushRequested);
    });
    this.#running = this.#next;
    return this.#next;
  }

  /** Flushes (also what is queued while flushing), then refuses further writes. */
  async close(): Promise<void> {
    do await this.flush(); while (this.#queue.length > 0);
    this.#closed = true;
    this.#failures.flush();
  }

  #push(mutation: Mutation): void {
    if (this.#closed) throw new Error("Write batcher is closed");
    this.#queue.push(mutation);
    this.#queued++;
    // A full batch not yet covered by a flush commits now; the rest waits for the timer. (One
    // flush per full batch: a flush per write would commit in tiny batches while a commit runs.)
    if (this.#queued - this.#flushRequested >= this.#maxBatch) void this.flush();
    else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, this.#intervalMs);
    }
  }

  /**
   * Commits the writes queued before write number `upTo`, in batches. Writes queued meanwhile wait
   * for their own timer or full batch: taking them too would make batches small (one per write)
   * whenever writers keep up with the commits.
   */
  async #drain(upTo: number): Promise<void> {
    while (this.#queued - this.#queue.length < upTo) {
      const waiting = upTo - (this.#queued - this.#queue.length);
      const batch = this.#queue.splice(0, Math.min(waiting, this.#maxBatch));
      for (const mutation of batch) if (mutation.kind === "set") mutation.taken = true;
      await this.#commit(batch);
    }
  }

  /**
   * Commits `batch` in order. KV rejects a whole atomic operation for one bad value (not
   * cloneable, over 64 KiB) or for its total size (800 KiB), both as a TypeError: the batch is
   * then halved and retried, so only the offending writes are lost (and logged). Never throws,
   * so one bad write cannot poison later flushes or crash the program from the timer.
   */
  async #commit(batch: Mutation[]): Promise<void> {
    try {
      const op = this.#kv.atomic();
      for (const m of batch) {
        if (m.kind === "set") op.set(m.key, m.value, { expireIn: m.expireIn });
        else if (m.kind === "delete") op.delete(m.key);
        else if (m.kind === "sum") op.sum(m.key, m.n);
        else op.max(m.key, m.n);
      }
      const result = await op.commit();
      if (!result.ok) {
        this.#lost += batch.length;
        storeLog.error("A batch of {count} writes was refused", { count: batch.length });
      }
    } catch (error) {
      if (error instanceof TypeError && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        await this.#commit(batch.slice(0, half));
        await this.#commit(batch.slice(half));
        return;
      }
      this.#lost += batch.length;
      // A full disk fails every batch: one line per window, with the count of the others.
      const reason = error instanceof Error ? error.message : String(error);
      this.#failures.line(reason, (repeats) =>
        storeLog.error(
          "Could not write {count} records to the store (message id mappings, seen messages, " +
            "room archives): {error}; they are lost, the store itself stays consistent{repeated}",
          { count: batch.length, error: reason, repeated: this.#failures.note(repeats) },
        ));
    }
  }
}
