/**
 * Writes through the {@link WriteBatcher} that stay readable before they are committed.
 *
 * The batcher makes many writes one KV commit, but a write waits there for a few ms: code that
 * reads a key it just wrote (a counter it increments, an index it checks for duplicates) would see
 * the old value. This keeps each queued write in memory until a {@link PendingWrites.settle} that
 * the caller awaited has committed it, and reads those keys from memory first, KV otherwise.
 *
 * The memory held is the writes since the last settle: callers settle before reading ranges
 * (`kv.list` cannot see this overlay) and whenever {@link PendingWrites.size} grows past what they
 * want to hold. Single writer: correct for keys that only this process writes.
 *
 * @module
 */

import type { WriteBatcher } from "./write_batcher.ts";

/** Deno KV's limit of keys per `getMany`. */
const GET_MANY_LIMIT = 10;

interface Pending {
  /** `undefined` for a queued delete. */
  value: unknown;
  /** Which write this is (increasing), to know whether a settle committed it. */
  generation: number;
}

/** An in-memory view of the writes queued in a batcher, in front of KV. */
export class PendingWrites {
  readonly #kv: Deno.Kv;
  readonly #batcher: WriteBatcher;
  readonly #pending = new Map<string, Pending>();
  #generation = 0;
  #settled = 0;

  constructor(kv: Deno.Kv, batcher: WriteBatcher) {
    this.#kv = kv;
    this.#batcher = batcher;
  }

  /** Queues a set; readable at once through {@link get}. */
  set(key: Deno.KvKey, value: unknown, options: { expireIn?: number } = {}): void {
    this.#batcher.set(key, value, options);
    this.#pending.set(memoryKey(key), { value, generation: ++this.#generation });
  }

  /** Queues a delete; {@link get} answers `null` at once. */
  delete(key: Deno.KvKey): void {
    this.#batcher.delete(key);
    this.#pending.set(memoryKey(key), { value: undefined, generation: ++this.#generation });
  }

  /** The value of a key: the queued write if there is one, else what KV holds; `null` if none. */
  async get<T>(key: Deno.KvKey): Promise<T | null> {
    const [value] = await this.getMany<T>([key]);
    return value;
  }

  /** {@link get} for several keys, with as few KV reads as Deno KV allows. */
  async getMany<T>(keys: readonly Deno.KvKey[]): Promise<(T | null)[]> {
    const values: (T | null)[] = new Array(keys.length).fill(null);
    const unknown: number[] = [];
    keys.forEach((key, index) => {
      const pending = this.#pending.get(memoryKey(key));
      if (pending === undefined) unknown.push(index);
      else values[index] = (pending.value ?? null) as T | null;
    });
    const chunks: number[][] = [];
    for (let i = 0; i < unknown.length; i += GET_MANY_LIMIT) {
      chunks.push(unknown.slice(i, i + GET_MANY_LIMIT));
    }
    await Promise.all(chunks.map(async (chunk) => {
      const entries = await this.#kv.getMany<T[]>(chunk.map((index) => keys[index]));
      chunk.forEach((index, i) => {
        // A write queued while KV was being read is newer than what KV answered.
        const pending = this.#pending.get(memoryKey(keys[index]));
        values[index] = pending === undefined
          ? entries[i].value as T | null
          : (pending.value ?? null) as T | null;
      });
    }));
    return values;
  }

  /** Writes held in memory (queued since the last settle). */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Commits every queued write (the batcher's flush) and forgets those that were committed, so KV
   * alone answers for them again; afterwards `kv.list` sees everything written before the call.
   * Cheap when nothing was written since the last settle.
   */
  async settle(): Promise<void> {
    const upTo = this.#generation;
    if (upTo === this.#settled) return;
    await this.#batcher.flush();
    for (const [key, pending] of this.#pending) {
      if (pending.generation <= upTo) this.#pending.delete(key);
    }
    this.#settled = Math.max(this.#settled, upTo);
  }
}

/** Key parts with their type (so the number 5 and the string "5" differ), joined by NUL. */
function memoryKey(key: Deno.KvKey): string {
  return key.map((part) => `${typeof part}:${String(part)}`).join("\u0000");
}
