/**
 * The listener supervision policy, on a manual clock: backoff with jitter, stall detection
 * before and after ready, reset on ready, and silence after stop.
 */

import assert from "node:assert/strict";
import type { ConnectionState } from "../../../src/messenger/connection_state.ts";
import { backoffDelay, DEFAULT_BACKOFF } from "../../../src/messenger/fca/backoff.ts";
import {
  ListenerSupervisor,
  type SupervisorClock,
} from "../../../src/messenger/fca/listener_supervisor.ts";

/** A clock whose time only moves when the test says so. */
class ManualClock implements SupervisorClock {
  now = 0;
  randomValue = 0.5;
  #timers = new Map<number, { at: number; callback: () => void }>();
  #next = 1;
  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.now + ms, callback });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }
  random(): number {
    return this.randomValue;
  }
  /** Moves time forward, firing due timers in order. */
  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    while (true) {
      const due = [...this.#timers.entries()].filter(([, timer]) => timer.at <= until)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.now = due[1].at;
      due[1].callback();
      await Promise.resolve();
      await Promise.resolve();
    }
    this.now = until;
  }
  get pending(): number {
    return this.#timers.size;
  }
}

function setup(options: { failStart?: () => boolean } = {}) {
  const clock = new ManualClock();
  const states: ConnectionState[] = [];
  let starts = 0;
  const supervisor = new ListenerSupervisor({
    startListener: () => {
      starts++;
      return options.failStart?.() ? Promise.reject(new Error("no")) : Promise.resolve();
    },
    setState: (state) => states.push(state),
  }, {
    stallTimeoutMs: 10_000,
    backoff: { initialMs: 1_000, maxMs: 8_000, factor: 2, jitter: 0.5 },
    clock,
  });
  return { clock, states, supervisor, starts: () => starts };
}

Deno.test("backoff grows exponentially, is capped, and jitter only shortens it", () => {
  const policy = { initialMs: 1_000, maxMs: 8_000, factor: 2, jitter: 0.5 };
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n, 0)), [
    1_000,
    2_000,
    4_000,
    8_000,
    8_000,
    8_000,
  ]);
  assert.equal(backoffDelay(policy, 1, 0.999), 1_001);
  assert.equal(backoffDelay({ ...policy, jitter: 0 }, 1, 0.9), 2_000);
  assert.ok(DEFAULT_BACKOFF.maxMs >= DEFAULT_BACKOFF.initialMs);
});

Deno.test("start reports connecting, ready reports connected", async () => {
  const { supervisor, states, starts } = setup();
  await supervisor.start();
  supervisor.ready();
  assert.deepEqual(states, [{ status: "connecting" }, { status: "connected" }]);
  assert.equal(starts(), 1);
  supervisor.stop();
});

Deno.test("a lost connection restarts after growing delays, reset by ready", async () => {
  const { clock, supervisor, states, starts } = setup();
  clock.randomValue = 0;
  await supervisor.start();
  supervisor.ready();
  supervisor.lost("network", "closed");
  assert.deepEqual(states.at(-1), {
    status: "transient_disconnect",
    reason: "network",
    message: "closed",
    retryInMs: 1_000,
  });
  supervisor.lost("network", "again, while a restart is scheduled"); // Ignored.
  await clock.advance(999);
  assert.equal(starts(), 1);
  await clock.advance(1);
  assert.equal(starts(), 2);
  supervisor.lost("network", "closed");
  assert.equal((states.at(-1) as { retryInMs: number }).retryInMs, 2_000);
  await clock.advance(2_000);
  assert.equal(starts(), 3);
  supervisor.ready();
  assert.equal(supervisor.failures, 0);
  supervisor.lost("network", "closed");
  assert.equal((states.at(-1) as { retryInMs: number }).retryInMs, 1_000);
  supervisor.stop();
});

Deno.test("no readiness within the stall timeout restarts the listener", async () => {
  const { clock, supervisor, states, starts } = setup();
  await supervisor.start();
  supervisor.traffic(); // Traffic before ready does not extend the deadline.
  await clock.advance(10_000);
  assert.equal((states.at(-1) as { reason: string }).reason, "stalled");
  await clock.advance(1_000);
  assert.equal(starts(), 2);
  supervisor.stop();
});

Deno.test("once ready, traffic keeps the listener alive and silence restarts it", async () => {
  const { clock, supervisor, states, starts } = setup();
  await supervisor.start();
  supervisor.ready();
  for (let i = 0; i < 5; i++) {
    await clock.advance(9_000);
    supervisor.traffic();
  }
  assert.equal(starts(), 1);
  assert.equal(states.at(-1)?.status, "connected");
  await clock.advance(10_000);
  assert.equal(states.at(-1)?.status, "transient_disconnect");
  await clock.advance(1_000);
  assert.equal(starts(), 2);
  supervisor.stop();
});

Deno.test("a restart that fails to start backs off again", async () => {
  let fail = false;
  const { clock, supervisor, starts } = setup({ failStart: () => fail });
  clock.randomValue = 0;
  await supervisor.start();
  fail = true;
  supervisor.lost("network", "closed");
  await clock.advance(1_000);
  assert.equal(starts(), 2);
  assert.equal(supervisor.failures, 2);
  fail = false;
  await clock.advance(2_000);
  assert.equal(starts(), 3);
  supervisor.stop();
});

Deno.test("after stop nothing fires and signals are ignored", async () => {
  const { clock, supervisor, states, starts } = setup();
  await supervisor.start();
  supervisor.lost("network", "closed");
  supervisor.stop();
  const before = states.length;
  supervisor.ready();
  supervisor.lost("network", "closed");
  await clock.advance(60_000);
  assert.equal(states.length, before);
  assert.equal(starts(), 1);
  assert.equal(clock.pending, 0);
});

Deno.test("a first start that fails rejects and leaves the supervisor stopped", async () => {
  const { supervisor, clock } = setup({ failStart: () => true });
  await assert.rejects(supervisor.start());
  assert.equal(supervisor.running, false);
  assert.equal(clock.pending, 0);
});

Deno.test("a restart on request reconnects at once, without backoff, and cancels a pending one", async () => {
  const { clock, states, supervisor, starts } = setup();
  await supervisor.start();
  supervisor.ready();
  supervisor.lost("network", "gone"); // A restart is now pending, after a backoff delay.
  supervisor.restart("Restarting the Messenger listener on request");
  assert.equal(starts(), 2, "restarted at once");
  assert.deepEqual(states.slice(-2), [
    {
      status: "transient_disconnect",
      reason: "stalled",
      message: "Restarting the Messenger listener on request",
    },
    { status: "connecting" },
  ]);
  await clock.advance(8_000); // Past the backoff (at most 1 s), before the 10 s stall timeout.
  assert.equal(starts(), 2, "the cancelled restart did not run");
  supervisor.stop();
  supervisor.restart("ignored");
  assert.equal(starts(), 2, "ignored when stopped");
});
