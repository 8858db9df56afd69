/**
 * What the adapter tells apart when an account cannot go on: a checkpoint (with the page the user
 * must open), a suspended account, a session that needs the user to log in again, and the network
 * — at login and during a session, through fca's real code and the fake Facebook. A re-login after
 * a Worker crash that lands on a checkpoint is in _worker_crash_cases.ts (see worker_crash_test.ts).
 */

import assert from "node:assert/strict";
import type { ConnectionState } from "../../../src/messenger/connection_state.ts";
import { isMessengerError, type MessengerError } from "../../../src/messenger/errors.ts";
import { FcaNetwork } from "../../../src/messenger/fca/fca_network.ts";
import { WorkerClient } from "../../../src/messenger/fca/worker_client.ts";
import { asThreadId } from "../../../src/messenger/ids.ts";
import { ALICE, FcaTestBed, PAGE_STYLES, SELF } from "./_harness.ts";
import { CHECKPOINT_URL, needsUser } from "./_resilience.ts";

async function rejection(promise: Promise<unknown>): Promise<MessengerError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isMessengerError(error), `a MessengerError, got ${error}`);
    return error;
  }
  throw new Error("expected a rejection");
}

for (const style of PAGE_STYLES) {
  Deno.test(`${style} page: a cookie login that lands on a checkpoint fails with its URL`, async () => {
    const bed = await new FcaTestBed().start({}, { pageStyle: style });
    try {
      const before = WorkerClient.liveCount;
      const cookies = bed.fake.addAccount({ id: SELF, xs: "xs-cp", checkpoint: {} });
      const error = await rejection(bed.network.login({ kind: "cookies", cookies }));
      assert.equal(error.code, "checkpoint");
      assert.deepEqual(error.detail, { url: CHECKPOINT_URL });
      assert.ok(!error.message.includes(CHECKPOINT_URL), "the URL is for the user, not the logs");
      assert.equal(WorkerClient.liveCount, before, "the Worker was freed");
    } finally {
      await bed.close();
    }
  });
}

Deno.test("a suspended account's login fails as a checkpoint marked suspended", async () => {
  const bed = await new FcaTestBed().start({}, { pageStyle: "2026" });
  try {
    const cookies = bed.fake.addAccount({
      id: SELF,
      xs: "xs-suspended",
      checkpoint: { suspended: true },
    });
    const error = await rejection(bed.network.login({ kind: "cookies", cookies }));
    assert.equal(error.code, "checkpoint");
    assert.deepEqual(error.detail, { url: CHECKPOINT_URL, suspended: true });
  } finally {
    await bed.close();
  }
});

Deno.test("a checkpoint during a session ends it with the URL, without logging in again", async () => {
  const bed = await new FcaTestBed().start({}, { pageStyle: "2026" });
  try {
    const account = await bed.connect({ id: SELF });
    bed.fake.accounts.get(SELF)!.checkpoint = {};
    const error = await rejection(
      account.session.sendMessage(asThreadId(ALICE), { text: "Hi" }, { isGroup: false }),
    );
    assert.equal(error.code, "checkpoint");
    assert.equal(error.detail.url, CHECKPOINT_URL);
    assert.deepEqual(
      await needsUser(account),
      {
        status: "bad_credentials",
        reason: "checkpoint",
        message: "Facebook wants the account confirmed in a browser; then log in again",
        url: CHECKPOINT_URL,
      } satisfies ConnectionState,
    );
    assert.equal(bed.fake.homePageLogins.get(SELF), 1, "no new login");
    await assert.rejects(
      account.session.sendMessage(asThreadId(ALICE), { text: "again" }, { isGroup: false }),
      (failure: unknown) => isMessengerError(failure, "not_logged_in"),
    );
  } finally {
    await bed.close();
  }
});

Deno.test("a logged-out session: refresh, one re-login from cookies, then needs re-auth", async () => {
  const bed = await new FcaTestBed().start({}, { pageStyle: "2026" });
  try {
    const account = await bed.connect({ id: SELF });
    bed.fake.accounts.get(SELF)!.expired = true;
    const error = await rejection(
      account.session.sendMessage(asThreadId(ALICE), { text: "Hi" }, { isGroup: false }),
    );
    assert.equal(error.code, "not_logged_in");
    const state = await needsUser(account);
    assert.equal(state.status === "bad_credentials" && state.reason, "session_expired");
    assert.ok(
      account.states.some((seen) =>
        seen.status === "transient_disconnect" && seen.reason === "session_expired"
      ),
      "one re-login from the saved cookies was tried first",
    );
    assert.ok(
      bed.fake.requestsTo("/home.php").length >= 1,
      "a token refresh was tried before that",
    );
  } finally {
    await bed.close();
  }
});

Deno.test("cookies refused at login need re-auth (auth_failed); no Facebook is network", async () => {
  const bed = await new FcaTestBed().start({}, { pageStyle: "2026" });
  const gone = bed.fake.origin;
  try {
    const cookies = bed.fake.addAccount({ id: SELF, xs: "xs-revoked", expired: true });
    const refused = await rejection(bed.network.login({ kind: "cookies", cookies }));
    assert.equal(refused.code, "auth_failed");
    assert.deepEqual(refused.detail, {});
  } finally {
    await bed.close();
  }
  // Nothing listening where the fake was: Facebook cannot be reached.
  const network = new FcaNetwork({
    timings: { loginTimeoutMs: 20_000 },
    testOnly: { endpointOverride: { origin: gone } },
  });
  try {
    const cookies = [
      { key: "c_user", value: SELF, domain: "facebook.com" },
      { key: "xs", value: "xs-offline", domain: "facebook.com" },
    ];
    const unreachable = await rejection(network.login({ kind: "cookies", cookies }));
    assert.equal(unreachable.code, "network");
  } finally {
    await network.close();
  }
});
