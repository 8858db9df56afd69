/**
 * Per-(user, thread) serial task queues: order is kept inside a conversation, and conversations
 * never wait for each other.
 *
 * Both directions go through here (after mautrix bridgev2's per-portal event loop): a user's
 * message, then their correction, then their reaction must reach Messenger in that order, and a
 * contact's messages must reach the user in Messenger's order — while a slow upload in one chat
 * must not hold up any other chat. Each queue is bounded (a stuck thread refuses new work with
 * {@link ThreadQueueFullError} instead of growing without limit), a failing task is reported and
 * the next one runs, an optional per-task timeout lets a hung task's successors go on, and a
 * queue that drains is deleted, so memory follows active conversations only.
 *
 * @module
 */

import type { ThreadId } from "../messenger/ids.ts";

/** Identifies one queue. */
export interface ThreadKey {
  /** The XMPP user's bare JID. */
  user: string;
  thread: ThreadId;
}

/** A unit of work; may be sync or async. */
export type ThreadTask<T> = () => T | Promise<T>;

/** How many tasks one thread may hold (running and waiting) by default. */
export const DEFAULT_MAX_TASKS_PER_THREAD = 256;

/** A thread already holds its maximum of tasks: the new one was not queued. */
export class ThreadQueueFullError extends Error {
  override name = "ThreadQueueFullError";
  constructor(readonly key: ThreadKey, readonly limit: number) {
    super(`Too much is waiting in this conversation: ${limit} tasks are queued already`);
  }
}

/** A task ran longer than the timeout; the queue moved on (the task itself is not stopped). */
export class ThreadTaskTimeoutError extends Error {
  override name = "ThreadTaskTimeoutError";
  constructor(readonly key: ThreadKey, readonly timeoutMs: number) {
    super(`A task in this conversation did not finish: gave up waiting after ${timeoutMs} ms`);
  }
}

/** Queued tasks were dropped because their user's queues were cancelled (logout, removal). */
export class ThreadQueueCancelledError extends Error {
  override name = "ThreadQueueCancelledError";
  constructor(readonly key: ThreadKey, reason: string) {
    super(`A queued task was cancelled: ${reason}`);
  }
}

/** Options of {@link ThreadQueues}. */
export interface ThreadQueuesOptions {
  /**
   * Receives what went wrong in fire-and-forget work ({@link ThreadQueues.post}): a task's
   * error, a full queue, a timeout, a cancellation. Must not throw (a throw is swallowed).
   */
  onError: (error: unknown, key: ThreadKey) => void;
  /** Tasks one thread may hold, the running one included; default {@link DEFAULT_MAX_TASKS_PER_THREAD}. */
  maxTasksPerThread?: number;
  /**
   * After this long the queue stops waiting for a task and starts the next one, reporting a
   * {@link ThreadTaskTimeoutError}; default: wait for ever.
   */
  taskTimeoutMs?: number;
}

interface Job {
  run(): Promise<void>;
  cancel(error: ThreadQueueCancelledError): void;
}

interface Queue {
  key: ThreadKey;
  jobs: Job[];
  running: boolean;
}

/** All the thread queues of the gateway. */
export class ThreadQueues {
  readonly #queues = new Map<string, Queue>();
  readonly #onError: ThreadQueuesOptions["onError"];
  readonly #maxTasks: number;
  readonly #timeoutMs: number | undefined;

  constructor(options: ThreadQueuesOptions) {
    this.#onError = options.onError;
    this.#maxTasks = Math.max(1, options.maxTasksPerThread ?? DEFAULT_MAX_TASKS_PER_THREAD);
    this.#timeoutMs = options.taskTimeoutMs;
  }

  /**
   * Runs `task` after every task queued before it for the same thread; the promise settles with
   * its outcome (the caller owns a failure: `onError` is not called). Rejects with
   * {@link ThreadQueueFullError} when the thread is full, with {@link ThreadTaskTimeoutError}
   * when the task outlives the timeout. A task must not await `run` for its own thread: that
   * task would wait for itself (queue it with {@link post}, or just call the code directly).
   */
  run<T>(user: string, thread: ThreadId, task: ThreadTask<T>): Promise<T> {
    const key = { user, thread };
    return new Promise<T>((resolve, reject) => {
      const queued = this.#enqueue(key, {
        run: () => this.#guarded(key, task).then(resolve, reject),
        cancel: reject,
      });
      if (!queued) reject(new ThreadQueueFullError(key, this.#maxTasks));
    });
  }

  /**
   * Fire and forget: queues `task` like {@link run}, and reports any failure (including a full
   * queue) to `onError`. Returns false when the thread was full and the task dropped.
   */
  post(user: string, thread: ThreadId, task: ThreadTask<unknown>): boolean {
    const key = { user, thread };
    const queued = this.#enqueue(key, {
      run: () => this.#guarded(key, task).then(() => {}, (error) => this.#report(error, key)),
      cancel: (error) => this.#report(error, key),
    });
    if (!queued) this.#report(new ThreadQueueFullError(key, this.#maxTasks), key);
    return queued;
  }

  /**
   * Drops the tasks still waiting in all of a user's threads (the running ones finish); each
   * dropped task fails with {@link ThreadQueueCancelledError}. Used on logout and unregistration.
   */
  cancelUser(user: string, reason: string): number {
    let dropped = 0;
    for (const queue of this.#queues.values()) {
      if (queue.key.user !== user) continue;
      const waiting = queue.jobs.splice(0);
      dropped += waiting.length;
      for (const job of waiting) job.cancel(new ThreadQueueCancelledError(queue.key, reason));
    }
    return dropped;
  }

  /**
   * Resolves true once none of `user`'s tasks is running or waiting (after {@link cancelUser}:
   * once the running ones finished), false after `timeoutMs`. Unregistration waits for this
   * before deleting the user's data, so no task writes it back.
   */
  async userIdle(user: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const busy = () => [...this.#queues.values()].some((queue) => queue.key.user === user);
    while (busy()) {
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return true;
  }

  /** Tasks held for one thread, the running one included (0 for an idle, freed thread). */
  tasksOf(user: string, thread: ThreadId): number {
    const queue = this.#queues.get(queueId({ user, thread }));
    return queue ? queue.jobs.length + (queue.running ? 1 : 0) : 0;
  }

  /** Threads that currently hold work; idle threads are freed and not counted. */
  get activeThreads(): number {
    return this.#queues.size;
  }

  #enqueue(key: ThreadKey, job: Job): boolean {
    const id = queueId(key);
    let queue = this.#queues.get(id);
    if (!queue) {
      queue = { key, jobs: [], running: false };
      this.#queues.set(id, queue);
    }
    if (queue.jobs.length + (queue.running ? 1 : 0) >= this.#maxTasks) return false;
    queue.jobs.push(job);
    if (!queue.running) void this.#drain(id, queue);
    return true;
  }

  async #drain(id: string, queue: Queue): Promise<void> {
    queue.running = true;
    try {
      for (let job = queue.jobs.shift(); job; job = queue.jobs.shift()) {
        await job.run();
      }
    } finally {
      queue.running = false;
      if (queue.jobs.length === 0) this.#queues.delete(id);
      else void this.#drain(id, queue);
    }
  }

  /** Runs a task so that a sync throw becomes a rejection and a hung task stops blocking. */
  #guarded<T>(key: ThreadKey, task: ThreadTask<T>): Promise<T> {
    const outcome = new Promise<T>((resolve) => resolve(task()));
    const timeoutMs = this.#timeoutMs;
    if (timeoutMs === undefined) return outcome;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ThreadTaskTimeoutError(key, timeoutMs)), timeoutMs);
    });
    // A late failure of a task given up on must not become an unhandled rejection.
    outcome.catch(() => {});
    return Promise.race([outcome, timeout]).finally(() => clearTimeout(timer));
  }

  #report(error: unknown, key: ThreadKey): void {
    try {
      this.#onError(error, key);
    } catch {
      // The callback is the last resort; there is nowhere further to report to.
    }
  }
}

/** Queue ids join user and thread with NUL, which neither a JID nor a thread id contains. */
function queueId(key: ThreadKey): string {
  return threadKey(key.user, key.thread);
}

/** A map key for per-(user, thread) state kept beside the queues (last ids, typing). */
export function threadKey(user: string, thread: ThreadId): string {
  return `${user}\u0000${thread}`;
}
