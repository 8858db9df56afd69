/**
 * Open command runs (ad-hoc sessions, chat dialogues) that end by themselves after a period
 * without activity, so a user who walks away mid-form does not hold state forever.
 *
 * Ended sessions leave a small tombstone for a while, so a late request can be told "your session
 * expired" instead of "no such session". Timers are unref'd (they never keep the process alive)
 * and {@link ExpiringSessions.closeAll} clears them on shutdown.
 *
 * @module
 */

/** How a session ended, as its tombstone remembers. */
export type SessionEnd = "expired" | "ended";

/** What {@link ExpiringSessions} needs from its owner. */
export interface ExpiringSessionsOptions<Session, Tombstone> {
  /** Inactivity after which a session expires (ms). */
  timeoutMs: number;
  /** Called once when a session expired (it is already removed). Must not throw. */
  onExpire: (key: string, session: Session) => void;
  /** What to remember of an ended session (keep it small: no steps, no secrets). */
  tombstone: (session: Session, end: SessionEnd) => Tombstone;
  /** How many tombstones to keep, oldest dropped first; default 1000. */
  maxTombstones?: number;
}

/** Sessions by key, each with an inactivity timer. */
export class ExpiringSessions<Session, Tombstone> {
  #options: ExpiringSessionsOptions<Session, Tombstone>;
  #sessions = new Map<string, { session: Session; timer?: ReturnType<typeof setTimeout> }>();
  #tombstones = new Map<string, Tombstone>();

  constructor(options: ExpiringSessionsOptions<Session, Tombstone>) {
    this.#options = options;
  }

  /** Number of open sessions. */
  get size(): number {
    return this.#sessions.size;
  }

  /** The open session under `key`. */
  get(key: string): Session | undefined {
    return this.#sessions.get(key)?.session;
  }

  /** What is remembered of a session that ended under `key`, if it ended recently. */
  tombstone(key: string): Tombstone | undefined {
    return this.#tombstones.get(key);
  }

  /** Drops the tombstone under `key` (its news was delivered). */
  forgetTombstone(key: string): void {
    this.#tombstones.delete(key);
  }

  /** Opens (or replaces) a session and starts its inactivity timer. */
  open(key: string, session: Session): void {
    this.#clearTimer(key);
    this.#tombstones.delete(key);
    this.#sessions.set(key, { session });
    this.touch(key);
  }

  /** Stops the timer while the session is busy (a step is running); {@link touch} restarts it. */
  hold(key: string): void {
    this.#clearTimer(key);
  }

  /** Restarts the inactivity timer of an open session. */
  touch(key: string): void {
    const entry = this.#sessions.get(key);
    if (!entry) return;
    this.#clearTimer(key);
    const timer = setTimeout(() => this.#expire(key), this.#options.timeoutMs);
    timer.unref();
    entry.timer = timer;
  }

  /** Removes a session that ended normally (completed, canceled, failed). */
  end(key: string): Session | undefined {
    return this.#remove(key, "ended");
  }

  /** Removes every session and stops every timer (shutdown); returns the removed sessions. */
  closeAll(): Session[] {
    const sessions = [...this.#sessions.keys()].map((key) => this.#remove(key, "ended")!);
    this.#tombstones.clear();
    return sessions;
  }

  #expire(key: string): void {
    const session = this.#remove(key, "expired");
    if (session !== undefined) this.#options.onExpire(key, session);
  }

  #remove(key: string, end: SessionEnd): Session | undefined {
    const entry = this.#sessions.get(key);
    if (!entry) return undefined;
    clearTimeout(entry.timer);
    this.#sessions.delete(key);
    this.#tombstones.set(key, this.#options.tombstone(entry.session, end));
    const max = this.#options.maxTombstones ?? 1000;
    for (const oldest of this.#tombstones.keys()) {
      if (this.#tombstones.size <= max) break;
      this.#tombstones.delete(oldest);
    }
    return entry.session;
  }

  #clearTimer(key: string): void {
    const entry = this.#sessions.get(key);
    if (entry?.timer !== undefined) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
    }
  }
}
