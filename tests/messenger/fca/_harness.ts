/**
 * Shared setup of the fca adapter tests: a fake Facebook, an {@link FcaNetwork} pointed at it
 * with short timings, and helpers to log in, collect events and wait for conditions.
 *
 * @module
 */

import { FcaNetwork } from "../../../src/messenger/fca/fca_network.ts";
import type { FcaTimings } from "../../../src/messenger/fca/timings.ts";
import type { ConnectionState } from "../../../src/messenger/connection_state.ts";
import type { RemoteEvent } from "../../../src/messenger/events.ts";
import type { MessengerSession } from "../../../src/messenger/session.ts";
import { type FakeAccount, FakeFacebook } from "./_fake_edge/fake_facebook.ts";
import type { PageStyle } from "./_fake_edge/pages.ts";
import type { SupervisorClock } from "../../../src/messenger/fca/listener_supervisor.ts";

/** The logged-in test account and its friends (ids used by the recorded deltas). */
export const SELF = "100001";
export const ALICE = "100002";
export const GROUP = "900001";

/** Timings small enough for tests, large enough for a loaded 2-core machine. */
export const TEST_TIMINGS: Partial<FcaTimings> = {
  // A first login starts a Worker that compiles fca-unofficial: in a fresh clone (cold code
  // cache) on a loaded 2-core machine, logins ran out of 10 s. Tests of the timeout set their own.
  loginTimeoutMs: 30_000,
  callTimeoutMs: 5_000,
  stallTimeoutMs: 15_000,
  twoFactorTimeoutMs: 20_000,
  reloginCooldownMs: 60_000,
  backoff: { initialMs: 100, maxMs: 1_000, factor: 2, jitter: 0.5 },
  dedupeCapacity: 100,
};

/**
 * How long a multi-step recovery (refresh, reconnect, re-login) may take in a test: generous,
 * for a loaded 2-core machine running several suites.
 */
export const RECOVERY_MS = 30_000;

/** Both home page styles, for tests that must pass on each. */
export const PAGE_STYLES: readonly PageStyle[] = ["2020", "2026"];

/**
 * A clock whose timers fire only when a test says so (for the sessions' long timers: the token
 * refresh every ~2 hours). `random()` is fixed, so jittered delays are known.
 */
export class ManualClock implements SupervisorClock {
  readonly timers = new Map<number, { callback: () => void; ms: number }>();
  #next = 1;

  constructor(private readonly fixedRandom = 0.5) {}

  setTimeout(callback: () => void, ms: number): unknown {
    const handle = this.#next++;
    this.timers.set(handle, { callback, ms });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  random(): number {
    return this.fixedRandom;
  }

  /** The pending timers' delays. */
  pending(): number[] {
    return [...this.timers.values()].map((timer) => timer.ms);
  }

  /** Fires (once) every pending timer whose delay `which` accepts; returns how many. */
  fire(which: (ms: number) => boolean): number {
    let fired = 0;
    for (const [handle, timer] of [...this.timers]) {
      if (!which(timer.ms)) continue;
      this.timers.delete(handle);
      timer.callback();
      fired++;
    }
    return fired;
  }
}

/** Polls `condition` every 20 ms until true, or fails after `timeoutMs` naming `what`. */
export async function waitFor(
  what: string,
  condition: () => boolean,
  timeoutMs = 8_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A session with everything it emitted recorded. */
export interface RecordedSession {
  session: MessengerSession;
  events: RemoteEvent[];
  states: ConnectionState[];
  /** Events other than connection changes. */
  remote(): RemoteEvent[];
}

/** Records a session's events. */
export function record(session: MessengerSession): RecordedSession {
  const events: RemoteEvent[] = [];
  const states: ConnectionState[] = [];
  session.onEvent((event) => {
    events.push(event);
    if (event.type === "connection") states.push(event.state);
  });
  return {
    session,
    events,
    states,
    remote: () => events.filter((event) => event.type !== "connection"),
  };
}

/** A fake Facebook plus a network using it; `close()` frees both. */
export class FcaTestBed {
  readonly fake = new FakeFacebook();
  network!: FcaNetwork;

  /**
   * Starts the fake and builds the network: timings overridable, the fake's home page in the
   * 2020 or the 2026 style, a user agent as `messenger.user_agent` would set it, a clock
   * driving the sessions' timers, and how many accounts share a Worker (the default when absent).
   */
  async start(
    timings: Partial<FcaTimings> = {},
    options: {
      pageStyle?: PageStyle;
      userAgent?: string;
      clock?: SupervisorClock;
      accountsPerWorker?: number;
    } = {},
  ): Promise<this> {
    await this.fake.start();
    this.fake.pageStyle = options.pageStyle ?? "2020";
    this.network = new FcaNetwork({
      timings: { ...TEST_TIMINGS, ...timings },
      ...(options.userAgent === undefined ? {} : { userAgent: options.userAgent }),
      ...(options.accountsPerWorker === undefined
        ? {}
        : { accountsPerWorker: options.accountsPerWorker }),
      testOnly: {
        endpointOverride: { origin: this.fake.origin },
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      },
    });
    return this;
  }

  /** Adds an account to the fake, logs it in with cookies and starts listening until connected. */
  async connect(
    account: Partial<FakeAccount> & { id: string },
    options: { selfListen?: boolean; listen?: boolean } = {},
  ): Promise<RecordedSession> {
    const cookies = this.fake.addAccount({ xs: `xs-${account.id}-secret`, ...account });
    const result = await this.network.login(
      { kind: "cookies", cookies },
      { selfListen: options.selfListen ?? false },
    );
    if (result.kind !== "logged_in") throw new Error("Unexpected two-factor request");
    const recorded = record(result.session);
    if (options.listen !== false) {
      await result.session.listen();
      await waitFor("the session to connect", () => result.session.state.status === "connected");
    }
    return recorded;
  }

  /** Closes the network (all Workers) and the fake. */
  async close(): Promise<void> {
    await this.network?.close();
    await this.fake.close();
  }
}
