/**
 * Rate-limited log lines: what a flood makes the gateway say once per stanza (a refused message,
 * a full conversation) is written once, and the repeats that follow are counted and written as
 * one line with their count when the window ends — so a user sending 5,000 messages costs the
 * admin two lines, not 5,000, and the log still says how many there were.
 *
 * @module
 */

/** The timers a throttle uses; tests give fake ones. */
export interface ThrottleTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const REAL_TIMERS: ThrottleTimers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // A pending count must not keep the program alive: stop() flushes it instead.
    Deno.unrefTimer(handle);
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as number),
};

/** Options of {@link LogThrottle}. */
export interface LogThrottleOptions {
  /** How long repeats of a line are counted before their count is written (ms); default 10 s. */
  windowMs?: number;
  /**
   * Distinct lines counted at once at most (default 1,000); beyond that a line is written as it
   * comes, so that many senders cannot grow the throttle's memory.
   */
  maxKeys?: number;
  timers?: ThrottleTimers;
}

interface Window {
  repeats: number;
  /** Writes the line of the latest repeat with the count. */
  write: (repeats: number) => void;
  timer: unknown;
}

/** Writes each kind of line at most once per window, then the count of its repeats. */
export class LogThrottle {
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #timers: ThrottleTimers;
  readonly #windows = new Map<string, Window>();

  constructor(options: LogThrottleOptions = {}) {
    this.#windowMs = options.windowMs ?? 10_000;
    this.#maxKeys = options.maxKeys ?? 1000;
    this.#timers = options.timers ?? REAL_TIMERS;
  }

  /** What a summary line adds: `""` for the first line, else the count and the window. */
  note(repeats: number): string {
    if (repeats === 0) return "";
    const seconds = Math.round(this.#windowMs / 1000);
    return ` (${repeats} more like this in the last ${seconds} s)`;
  }

  /**
   * Writes a line of kind `key` through `write(0)` unless one was written less than a window ago;
   * a repeat within the window is only counted, and when the window ends `write(repeats)` of the
   * latest repeat writes them as one line (then a new window starts, so a flood that goes on
   * costs one line per window).
   */
  line(key: string, write: (repeats: number) => void): void {
    const open = this.#windows.get(key);
    if (open) {
      open.repeats++;
      open.write = write;
      return;
    }
    write(0);
    if (this.#windows.size >= this.#maxKeys) return;
    this.#open(key, write);
  }

  /** Writes every pending count now and forgets the windows (when the program stops). */
  flush(): void {
    for (const [key, window] of this.#windows) {
      this.#timers.clearTimeout(window.timer);
      this.#windows.delete(key);
      if (window.repeats > 0) window.write(window.repeats);
    }
  }

  #open(key: string, write: (repeats: number) => void): void {
    const window: Window = {
      repeats: 0,
      write,
      timer: this.#timers.setTimeout(() => this.#close(key), this.#windowMs),
    };
    this.#windows.set(key, window);
  }

  #close(key: string): void {
    const window = this.#windows.get(key);
    if (!window) return;
    this.#windows.delete(key);
    if (window.repeats === 0) return;
    window.write(window.repeats);
    // Still going: the next repeats are counted for another window.
    this.#open(key, window.write);
  }
}
