/**
 * The hangs and crashes from the fca notes, each contained: the process survives, the session
 * reports its state and recovers (or gives up cleanly), and other accounts are not affected.
 * The real Worker crashes are in _worker_crash_cases.ts (see worker_crash_test.ts).
 * Crashes and hangs of a Worker shared by several accounts: shared_worker_test.ts.
 */

import assert from "node:assert/strict";
import { isMessengerError } from "../../../src/messenger/errors.ts";
import type { FcaSession } from "../../../src/messenger/fca/fca_session.ts";
import { asThreadId, asUserId } from "../../../src/messenger/ids.ts";
import { WorkerClient } from "../../../src/messenger/fca/worker_client.ts";
import { ALICE, FcaTestBed, ManualClock, SELF, waitFor } from "./_harness.ts";
import { hasState, homeLoads, OTHER, receives } from "./_resilience.ts";

Deno.test("a refused websocket is reported as transient_disconnect, then reconnected", async () => {
  const bed = await new FcaTestBed().start();
  try {
    bed.fake.refuseWebsocket = true;
    const account = await bed.connect({ id: SELF }, { listen: false });
    await account.session.listen();
    await waitFor(
      "transient_disconnect",
      () => hasState(account, { status: "transient_disconnect", reason: "network" }),
    );
    const state = account.session.state;
    assert.equal(state.status, "transient_disconnect");
    bed.fake.refuseWebsocket = false;
    await waitFor("connected", () => account.session.state.status === "connected");
    await receives(bed, SELF, account, "mid.$after-refusal");
  } finally {
    await bed.close();
  }
});

Deno.test("a silent stall restarts the listener", async () => {
  const bed = await new FcaTestBed().start({ stallTimeoutMs: 1_500 });
  try {
    const account = await bed.connect({ id: SELF });
    const connectionsBefore = bed.fake.connections.length;
    bed.fake.silentBroker = true;
    await waitFor(
      "stalled",
      () => hasState(account, { status: "transient_disconnect", reason: "stalled" }),
    );
    bed.fake.silentBroker = false;
    await waitFor("connected again", () => account.session.state.status === "connected");
    assert.ok(bed.fake.connections.length > connectionsBefore, "a new MQTT connection was made");
    await receives(bed, SELF, account, "mid.$after-stall");
  } finally {
    await bed.close();
  }
});

Deno.test("errors thrown inside the Worker are contained; the session keeps working", async () => {
  const bed = await new FcaTestBed().start();
  try {
    const account = await bed.connect({ id: SELF });
    const session = account.session as FcaSession;
    await session.testOnlyWorkerFailure({ uncaught: true });
    // fca's promise-mode validation throws synchronously: it must come back as an error.
    await assert.rejects(session.getThreads(1.5), (error: unknown) => isMessengerError(error));
    const users = await session.getUserInfo([asUserId(ALICE)]);
    assert.equal(users[0]?.name, `User ${ALICE}`);
    assert.equal(session.state.status, "connected");
    await receives(bed, SELF, account, "mid.$after-uncaught");
  } finally {
    await bed.close();
  }
});

Deno.test("a hung Worker (one account each) is detected, replaced, and other accounts go on", async () => {
  const bed = await new FcaTestBed().start(
    { stallTimeoutMs: 1_000, callTimeoutMs: 1_000 },
    { accountsPerWorker: 1 },
  );
  try {
    const hanging = await bed.connect({ id: SELF });
    const other = await bed.connect({ id: OTHER });
    const session = hanging.session as FcaSession;
    await session.testOnlyWorkerFailure({ hangMs: 6_000 });
    await assert.rejects(
      session.getUserInfo([asUserId(ALICE)]),
      (error: unknown) => isMessengerError(error, "timeout", "disconnected", "internal"),
    );
    await receives(bed, OTHER, other, "mid.$other-during-hang");
    await waitFor(
      "replaced and connected",
      () =>
        hasState(hanging, { status: "transient_disconnect", reason: "unknown" }) &&
        session.state.status === "connected",
      10_000,
    );
    await receives(bed, SELF, hanging, "mid.$after-hang");
  } finally {
    await bed.close();
  }
});

Deno.test("an expired session re-logs in once, then reports bad_credentials", async () => {
  // One account per Worker, so that the Worker's end shows the account's end; the session's
  // timers on a clock the test drives, so that what is still scheduled at the end is known.
  const clock = new ManualClock();
  const bed = await new FcaTestBed().start({}, { accountsPerWorker: 1, clock });
  try {
    const workersBefore = WorkerClient.liveCount;
    const account = await bed.connect({ id: SELF });
    assert.equal(homeLoads(bed), 1);
    bed.fake.accounts.get(SELF)!.expired = true;
    bed.fake.dropConnections(SELF);
    // The re-login waits out the reconnect delay (about 5 s alone): a loaded machine needs more.
    await waitFor(
      "bad_credentials",
      () => {
        clock.fire((ms) => ms < 60_000); // reconnect and retry delays, not the token refresh
        return account.session.state.status === "bad_credentials";
      },
      30_000,
    );
    assert.deepEqual(account.session.state, {
      status: "bad_credentials",
      reason: "session_expired",
      message: "The Messenger session expired: log in again",
    });
    assert.ok(hasState(account, { status: "transient_disconnect", reason: "session_expired" }));
    assert.equal(homeLoads(bed), 2, "exactly one re-login");
    // No login loop: nothing is left that could log in again, no Worker and no timer.
    await waitFor("the Worker released", () => WorkerClient.liveCount === workersBefore, 10_000);
    assert.deepEqual(clock.pending(), [], "a timer is still scheduled");
    assert.equal(homeLoads(bed), 2);
    await assert.rejects(
      account.session.sendMessage(asThreadId(ALICE), { text: "hi" }, { isGroup: false }),
      (error: unknown) => isMessengerError(error, "not_logged_in"),
    );
  } finally {
    await bed.close();
  }
});
