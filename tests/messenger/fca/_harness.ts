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

  /** Starts the fake and builds the network (timings overridable). */
  async start(timings: Partial<FcaTimings> = {}): Promise<this> {
    await this.fake.start();
    this.network = new FcaNetwork({
      timings: { ...TEST_TIMINGS, ...timings },
      testOnly: { endpointOverride: { origin: this.fake.origin } },
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
