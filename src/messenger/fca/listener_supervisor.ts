/**
 * Keeps one Messenger listener alive: reconnects with backoff, and restarts it when it stalls.
 *
 * fca's own recovery is not enough: a refused websocket retries every second forever without a
 * word, a failed sequence-id refresh kills the listener for good, and a half-open connection is
 * silent. The supervisor knows only three signals — the listener is *ready* (fca's first sync
 * answer), there was *traffic* (any MQTT packet), or it was *lost* — and from them keeps the
 * connection state and schedules restarts. It does no IO itself and takes its clock as a
 * parameter, so its policy is unit-tested with fake timers.
 *
 * @module
 */

import type { ConnectionReason, ConnectionState } from "../connection_state.ts";
import { backoffDelay, type BackoffPolicy } from "./backoff.ts";

/** Timers and randomness, injectable for tests. */
export interface SupervisorClock {
  /** Returns an opaque handle for {@link SupervisorClock.clearTimeout}. */
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  random(): number;
}

/** The real clock. */
export const SYSTEM_CLOCK: SupervisorClock = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  random: () => Math.random(),
};

/** What the supervisor drives. */
export interface SupervisedListener {
  /** Starts the listener, replacing any previous connection. Rejects if it cannot even start. */
  startListener(): Promise<void>;
  /** Told every connection state the supervisor decides on. */
  setState(state: ConnectionState): void;
}

/** Tuning. */
export interface ListenerSupervisorOptions {
  /**
   * A started listener that is not ready within this time, or a ready one without any traffic
   * for this long, is considered stalled and restarted. Must exceed the MQTT keepalive (10 s).
   */
  stallTimeoutMs: number;
  backoff: BackoffPolicy;
  clock?: SupervisorClock;
}

/** Supervises one listener; see the module documentation. */
export class ListenerSupervisor {
  readonly #listener: SupervisedListener;
  readonly #options: ListenerSupervisorOptions;
  readonly #clock: SupervisorClock;
  #running = false;
  #ready = false;
  #failures = 0;
  #stallTimer: unknown;
  #restartTimer: unknown;

  constructor(listener: SupervisedListener, options: ListenerSupervisorOptions) {
    this.#listener = listener;
    this.#options = options;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
  }

  /** Restarts since the last time the listener was ready (for tests and statistics). */
  get failures(): number {
    return this.#failures;
  }

  /** True between {@link start} and {@link stop}. */
  get running(): boolean {
    return this.#running;
  }

  /** Starts listening. Rejects (and stays stopped) if the very first start fails. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    this.#ready = false;
    this.#listener.setState({ status: "connecting" });
    try {
      await this.#listener.startListener();
    } catch (error) {
      this.stop();
      throw error;
    }
    if (this.#running) this.#armStall();
  }

  /** fca reported the listener synchronised: the session is connected. */
  ready(): void {
    if (!this.#running) return;
    this.#ready = true;
    this.#failures = 0;
    this.#listener.setState({ status: "connected" });
    this.#armStall();
  }

  /** Something arrived on the connection: once ready, it proves the connection alive. */
  traffic(): void {
    if (this.#running && this.#ready) this.#armStall();
  }

  /** The connection is gone (closed, refused, errored): restart after a backoff delay. */
  lost(reason: ConnectionReason, message: string): void {
    if (!this.#running || this.#restartTimer !== undefined) return;
    this.#clearStall();
    this.#ready = false;
    const delay = backoffDelay(this.#options.backoff, this.#failures, this.#clock.random());
    this.#failures++;
    this.#listener.setState({
      status: "transient_disconnect",
      reason,
      message,
      retryInMs: delay,
    });
    this.#restartTimer = this.#clock.setTimeout(() => {
      this.#restartTimer = undefined;
      this.#restart();
    }, delay);
  }

  /**
   * Restarts the listener now, without backoff: for a connection that looks alive but is not
   * (told by someone watching the content, not the traffic). Ignored when not running.
   */
  restart(message: string): void {
    if (!this.#running) return;
    this.#clearStall();
    if (this.#restartTimer !== undefined) this.#clock.clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    this.#ready = false;
    this.#listener.setState({ status: "transient_disconnect", reason: "stalled", message });
    this.#restart();
  }

  /** Stops all timers; signals after this are ignored. */
  stop(): void {
    this.#running = false;
    this.#ready = false;
    this.#clearStall();
    if (this.#restartTimer !== undefined) this.#clock.clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
  }

  #restart(): void {
    if (!this.#running) return;
    this.#listener.setState({ status: "connecting" });
    this.#listener.startListener().then(
      () => {
        if (this.#running) this.#armStall();
      },
      (error: unknown) => {
        const detail = error instanceof Error ? error.message : String(error);
        this.lost("network", `Could not restart the Messenger listener: ${detail}`);
      },
    );
  }

  #armStall(): void {
    this.#clearStall();
    this.#stallTimer = this.#clock.setTimeout(() => {
      this.#stallTimer = undefined;
      const seconds = Math.round(this.#options.stallTimeoutMs / 100) / 10;
      this.lost(
        "stalled",
        this.#ready
          ? `Nothing heard from Messenger for ${seconds} s: restarting the listener`
          : `Messenger did not get ready within ${seconds} s: restarting the listener`,
      );
    }, this.#options.stallTimeoutMs);
  }

  #clearStall(): void {
    if (this.#stallTimer !== undefined) this.#clock.clearTimeout(this.#stallTimer);
    this.#stallTimer = undefined;
  }
}
