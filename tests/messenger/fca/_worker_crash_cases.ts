/**
 * The fca Worker crashing for real (an uncaught error with containment off): the session reports
 * it, re-logs in once (and a re-login that lands on a checkpoint ends the session with its URL),
 * and other accounts go on. Not a test module of its own: Deno prints every
 * uncaught Worker error with its stack trace to stderr, unconditionally, so worker_crash_test.ts
 * runs these cases in a child `deno test` whose output it checks instead of letting the expected
 * trace scare a green run.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ConnectionState } from "../../../src/messenger/connection_state.ts";
import { isMessengerError } from "../../../src/messenger/errors.ts";
import type { FcaSession } from "../../../src/messenger/fca/fca_session.ts";
import { asUserId } from "../../../src/messenger/ids.ts";
import { ALICE, FcaTestBed, SELF, waitFor } from "./_harness.ts";
import {
  onlyTheFailedWorkersAccountsRestarted,
  threeAccountsOnTwoWorkers,
} from "./_shared_worker.ts";
import { CHECKPOINT_URL, hasState, homeLoads, needsUser, OTHER, receives } from "./_resilience.ts";

Deno.test("a crashed Worker (one account each) leaves other accounts alone and re-logs in once", async () => {
  const bed = await new FcaTestBed().start({}, { accountsPerWorker: 1 });
  try {
    const crashing = await bed.connect({ id: SELF });
    const other = await bed.connect({ id: OTHER });
    const session = crashing.session as FcaSession;
    await session.testOnlyWorkerFailure({ crash: true });
    const pending = session.getUserInfo([asUserId(ALICE)]);
    await assert.rejects(pending, (error: unknown) => isMessengerError(error));
    await receives(bed, OTHER, other, "mid.$other-during-crash");
    await waitFor("re-login", () => hasState(crashing, { status: "transient_disconnect" }));
    await waitFor("connected again", () => session.state.status === "connected");
    await receives(bed, SELF, crashing, "mid.$after-crash");
    assert.equal(other.session.state.status, "connected");
    assert.equal(other.states.filter((state) => state.status !== "connected").length, 0);
  } finally {
    await bed.close();
  }
});

Deno.test("a re-login that times out is not repeated: the user is asked to log in again", async () => {
  // Short enough to keep the test quick; the first login, before the hang, is well within it.
  const bed = await new FcaTestBed().start({ loginTimeoutMs: 4_000 });
  try {
    const account = await bed.connect({ id: SELF });
    assert.equal(homeLoads(bed), 1);
    bed.fake.hangHomePage = true; // Facebook gets the login but answers too late
    await (account.session as FcaSession).testOnlyWorkerFailure({ crash: true });
    await waitFor(
      "bad_credentials",
      () => account.session.state.status === "bad_credentials",
      20_000,
    );
    assert.equal(homeLoads(bed), 2, "exactly one re-login");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    assert.equal(homeLoads(bed), 2, "and no login loop");
  } finally {
    bed.fake.hangHomePage = false;
    await bed.close();
  }
});

Deno.test("a re-login that lands on a checkpoint ends the session with its URL", async () => {
  const bed = await new FcaTestBed().start({}, { pageStyle: "2026" });
  try {
    const account = await bed.connect({ id: SELF });
    bed.fake.accounts.get(SELF)!.checkpoint = { suspended: true };
    // The Worker dies: the session logs in once more from the saved cookies.
    await (account.session as FcaSession).testOnlyWorkerFailure({ crash: true });
    assert.deepEqual(
      await needsUser(account),
      {
        status: "bad_credentials",
        reason: "account_suspended",
        message: "Facebook suspended or disabled the account",
        url: CHECKPOINT_URL,
      } satisfies ConnectionState,
    );
  } finally {
    await bed.close();
  }
});

Deno.test("a crashed shared Worker restarts exactly its accounts, each told once", async () => {
  const bed = await new FcaTestBed().start({}, { accountsPerWorker: 2 });
  try {
    const accounts = await threeAccountsOnTwoWorkers(bed);
    await (accounts.first.session as FcaSession).testOnlyWorkerFailure({ crash: true });
    await onlyTheFailedWorkersAccountsRestarted(bed, accounts, "crashed");
  } finally {
    await bed.close();
  }
});
