/**
 * The serial task queue of one conversation: both directions go through it in order (a user's
 * message, then their correction, then their reaction reach Messenger in that order; a contact's
 * messages reach the user in Messenger's order), while conversations never wait for each other
 * (after mautrix bridgev2's per-portal event loop).
 *
 * The two directions share the order but not the bound: a user writing faster than Messenger
 * accepts fills only their own allowance ({@link DEFAULT_TO_MESSENGER_LIMIT}; further messages are
 * refused with an error the client shows), while what arrives from Messenger has its own, much
 * larger allowance — a friend's message must never be dropped because the user's outgoing queue is
 * full. A failing task is reported and the next one runs; an optional per-task timeout lets a hung
 * task's successors go on.
 *
 * @module
 */

/** Which way a task carries something. */
export type Direction = "to_messenger" | "to_xmpp";

/** A unit of work; may be sync or async. */
export type Task<T> = () => T | Promise<T>;

/** User actions one conversation may hold (running and waiting) by default. */
export const DEFAULT_TO_MESSENGER_LIMIT = 256;

/**
 * Messenger events one conversation may hold by default. Far above anything Messenger delivers in
 * a burst; only reached if delivery to XMPP is stuck for a long time (then the oldest wait on).
 */
export const DEFAULT_TO_XMPP_LIMIT = 50_000;

/** The conversation already holds its allowance of tasks in that direction: not queued. */
export class QueueFullError extends Error {
  override name = "QueueFullError";
  constructor(readonly direction: Direction, readonly limit: number) {
    super(`Too much is waiting in this conversation: ${limit} tasks are queued already`);
  }
}

/** A task ran longer than the timeout; the queue moved on (the task itself is not stopped). */
export class TaskTimeoutError extends Error {
  override name = "TaskTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`A task in this conversation did not finish: gave up waiting after ${timeoutMs} ms`);
  }
}

/** Queued tasks were dropped because the conversation closed (unregistration, shutdown). */
export class QueueCancelledError extends Error {
  override name = "QueueCancelledError";
  constructor(reason: string) {
    super(`A queued task was cancelled: ${reason}`);
  }
}

/** Options of {@link ConversationQueue}. */
export interface ConversationQueueOptions {
  /**
   * Receives what went wrong in fire-and-forget work ({@link ConversationQueue.post}): a task's
   * error, a full queue, a timeout, a cancellation. Must not throw (a throw is swallowed).
   */
  onError: (error: unknown) => void;
  /** Allowances per direction, the running task included. */
  limits?: Partial<Record<Direction, number>>;
  /** After this long the queue stops waiting for a task and starts the next (reported). */
  taskTimeoutMs?: number;
}

interface Job {
  direction: Direction;
  run(): Promise<void>;
  cancel(error: QueueCancelledError): void;
}

/** One conversation's ordered work. */
export class ConversationQueue {
  readonly #onError: (error: unknown) => void;
  readonly #limits: Record<Direction, number>;
  readonly #timeoutMs: number | undefined;
  readonly #jobs: Job[] = [];
  readonly #held: Record<Direction, number> = { to_messenger: 0, to_xmpp: 0 };
  #running = false;
  #idleWaiters: (() => void)[] = [];

  constructor(options: ConversationQueueOptions) {
    this.#onError = options.onError;
    this.#limits = {
      to_messenger: Math.max(1, options.limits?.to_messenger ?? DEFAULT_TO_MESSENGER_LIMIT),
      to_xmpp: Math.max(1, options.limits?.to_xmpp ?? DEFAULT_TO_XMPP_LIMIT),
    };
    this.#timeoutMs = options.taskTimeoutMs;
  }

  /**
   * Runs `task` after every task queued before it; the promise settles with its outcome (the
   * caller owns a failure: `onError` is not called). Rejects with {@link QueueFullError} when the
   * direction's allowance is used up. A task must not await `run` on its own queue: it would wait
   * for itself (use {@link post}, or call the code directly).
   */
  run<T>(direction: Direction, task: Task<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const queued = this.#enqueue({
        direction,
        run: () => this.#guarded(task).then(resolve, reject),
        cancel: reject,
      });
      if (!queued) reject(new QueueFullError(direction, this.#limits[direction]));
    });
  }

  /**
   * Fire and forget: queues `task` like {@link run} and reports any failure (a full queue
   * included) to `onError`. Returns false when the allowance was used up and the task dropped.
   */
  post(direction: Direction, task: Task<unknown>): boolean {
    const queued = this.#enqueue({
      direction,
      run: () => this.#guarded(task).then(() => {}, (error) => this.#report(error)),
      cancel: (error) => this.#report(error),
    });
    if (!queued) this.#report(new QueueFullError(direction, this.#limits[direction]));
    return queued;
  }

  /** Drops the waiting tasks (the running one finishes); each fails with {@link QueueCancelledError}. */
  cancel(reason: string): number {
    const waiting = this.#jobs.splice(0);
    for (const job of waiting) {
      this.#held[job.direction]--;
      job.cancel(new QueueCancelledError(reason));
    }
    this.#wakeIfIdle();
    return waiting.length;
  }

  /** Resolves true once nothing runs or waits, false after `timeoutMs`. */
  async idle(timeoutMs: number): Promise<boolean> {
    if (this.idleNow) return true;
    let settle!: (idle: boolean) => void;
    const woken = new Promise<boolean>((resolve) => (settle = resolve));
    const wake = () => settle(true);
    // Registered before anything else: under `deno test`, starting a timer may run pending
    // promise callbacks, so the queue can drain in between.
    this.#idleWaiters.push(wake);
    const timer = setTimeout(() => settle(false), timeoutMs);
    if (this.idleNow) wake();
    try {
      return await woken;
    } finally {
      clearTimeout(timer);
      this.#idleWaiters = this.#idleWaiters.filter((waiter) => waiter !== wake);
    }
  }

  /** True when nothing runs or waits. */
  get idleNow(): boolean {
    return !this.#running && this.#jobs.length === 0;
  }

  /** Tasks held in a direction, the running one included. */
  held(direction: Direction): number {
    return this.#held[direction];
  }

  #enqueue(job: Job): boolean {
    if (this.#held[job.direction] >= this.#limits[job.direction]) return false;
    this.#held[job.direction]++;
    this.#jobs.push(job);
    if (!this.#running) void this.#drain();
    return true;
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      for (let job = this.#jobs.shift(); job; job = this.#jobs.shift()) {
        try {
          await job.run();
        } finally {
          this.#held[job.direction]--;
        }
      }
    } finally {
      this.#running = false;
      if (this.#jobs.length > 0) void this.#drain();
      else this.#wakeIfIdle();
    }
  }

  #wakeIfIdle(): void {
    if (!this.idleNow) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Runs a task so that a sync throw becomes a rejection and a hung task stops blocking. */
  #guarded<T>(task: Task<T>): Promise<T> {
    const outcome = new Promise<T>((resolve) => resolve(task()));
    const timeoutMs = this.#timeoutMs;
    if (timeoutMs === undefined) return outcome;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TaskTimeoutError(timeoutMs)), timeoutMs);
    });
    // A late failure of a task given up on must not become an unhandled rejection.
    outcome.catch(() => {});
    return Promise.race([outcome, timeout]).finally(() => clearTimeout(timer));
  }

  #report(error: unknown): void {
    try {
      this.#onError(error);
    } catch {
      // The callback is the last resort; there is nowhere further to report to.
    }
  }
}
