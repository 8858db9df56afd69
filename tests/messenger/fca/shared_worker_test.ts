/**
 * Several accounts in one fca Worker (`messenger.accounts_per_worker`), against the fake
 * Facebook: each account runs on its own copy of fca (fca keeps per-login state at module level,
 * `getSeqID` and `form` in listenMqtt.js), so nothing crosses between them — deltas, cookies,
 * tokens, headers, listener restarts — and when their Worker crashes or hangs, exactly its
 * accounts are restarted, each told once, while accounts on other Workers go on (the crash case
 * runs with the other Worker crashes in _worker_crash_cases.ts).
 */

import assert from "node:assert/strict";
import type { FcaSession } from "../../../src/messenger/fca/fca_session.ts";
import { isMessengerError } from "../../../src/messenger/errors.ts";
import { asThreadId, asUserId } from "../../../src/messenger/ids.ts";
import { capability } from "../../../src/messenger/session.ts";
import {
  assertNothingCrossed,
  delivered,
  messages,
  onlyTheFailedWorkersAccountsRestarted,
  OTHER,
  threeAccountsOnTwoWorkers,
  troubles,
} from "./_shared_worker.ts";
import { ALICE, FcaTestBed, PAGE_STYLES, SELF, waitFor } from "./_harness.ts";

for (const style of PAGE_STYLES) {
  Deno.test(`${style} page: two accounts in one Worker get only their own deltas and send as themselves`, async () => {
    const bed = await new FcaTestBed().start({}, { pageStyle: style, accountsPerWorker: 2 });
    try {
      const { fake } = bed;
      const first = await bed.connect({ id: SELF });
      const second = await bed.connect({ id: OTHER });
      assert.equal(bed.network.workers, 1, "both accounts share one Worker");

      // A message for the second account, then one for the first: the Worker handles them in
      // that order, so a copy of the second's reaching the first would arrive before the first's.
      const forSecond = await delivered(fake, OTHER, second, "For the second account");
      const forFirst = await delivered(fake, SELF, first, "For the first account");
      assert.deepEqual(messages(first).map((message) => message.id), [forFirst]);
      assert.deepEqual(messages(second).map((message) => message.id), [forSecond]);

      await first.session.sendMessage(asThreadId(ALICE), { text: "From the first" }, {
        isGroup: false,
      });
      await second.session.sendMessage(asThreadId(ALICE), { text: "From the second" }, {
        isGroup: false,
      });
      const sends = fake.requestsTo("/messaging/send/");
      for (const [user, text] of [[SELF, "From the first"], [OTHER, "From the second"]]) {
        const send = sends.find((request) => request.form.body === text);
        assert.equal(send?.user, user, `${text}: sent with the account's cookies`);
        assert.equal(send?.form.__user, user);
        assert.equal(send?.form.fb_dtsg, fake.tokensOf(user).fbDtsg, "the account's own token");
        if (style === "2026") {
          assert.equal(send?.form.lsd, fake.tokensOf(user).lsd);
          assert.equal(send?.headers["x-fb-lsd"], fake.tokensOf(user).lsd, "its own LSD header");
        }
        assert.equal(send?.headers["x-asbd-id"], "359341");
      }
      assertNothingCrossed(fake);
    } finally {
      await bed.close();
    }
  });
}

Deno.test("restarting the first account's listener restarts its own, not the last login's (fca's getSeqID)", async () => {
  const bed = await new FcaTestBed().start({}, { accountsPerWorker: 2 });
  try {
    const { fake } = bed;
    const first = await bed.connect({ id: SELF });
    const second = await bed.connect({ id: OTHER }); // the last login: a shared fca's getSeqID
    assert.equal(bed.network.workers, 1);
    const seqIdQueries = (user: string) =>
      fake.requestsTo("/api/graphqlbatch/").filter((request) =>
        request.user === user && (request.form.queries ?? "").includes("3336396659757871")
      ).length;
    const connectionsOf = (user: string) =>
      fake.connections.filter((connection) => connection.user === user).length;
    const before = { first: seqIdQueries(SELF), second: seqIdQueries(OTHER) };
    const secondConnections = connectionsOf(OTHER);
    const firstConnections = connectionsOf(SELF);

    await capability(first.session, "restartListener")();

    assert.equal(first.session.state.status, "connected");
    assert.equal(seqIdQueries(SELF), before.first + 1, "the first account asked for its seq id");
    assert.equal(seqIdQueries(OTHER), before.second, "as itself, not as the second");
    assert.equal(connectionsOf(SELF), firstConnections + 1, "a new connection of the first");
    assert.equal(connectionsOf(OTHER), secondConnections, "none for the second");
    assert.equal(fake.liveConnections(SELF).length, 1);
    assert.equal(fake.liveConnections(OTHER).length, 1);
    await delivered(fake, SELF, first, "After the restart");
    await delivered(fake, OTHER, second, "The second still hears");
    assert.deepEqual(troubles(second), [], "the second never noticed");
    assertNothingCrossed(fake);
  } finally {
    await bed.close();
  }
});

Deno.test("an account leaving a shared Worker stops its own traffic; the other goes on", async () => {
  const bed = await new FcaTestBed().start({}, { accountsPerWorker: 2 });
  try {
    const { fake } = bed;
    const leaving = await bed.connect({ id: SELF });
    const staying = await bed.connect({ id: OTHER });
    await leaving.session.disconnect();
    await waitFor("the leaver's connection closed", () => fake.liveConnections(SELF).length === 0);
    assert.equal(bed.network.workers, 1, "the Worker goes on for the other account");
    const requestsOfLeaver = fake.requests.filter((request) => request.user === SELF).length;
    await delivered(fake, OTHER, staying, "Still here");
    await staying.session.sendMessage(asThreadId(ALICE), { text: "Me too" }, { isGroup: false });
    assert.equal(fake.requests.filter((request) => request.user === SELF).length, requestsOfLeaver);
    assert.deepEqual(troubles(staying), []);
    await staying.session.disconnect();
    await waitFor("the Worker stopped with its last account", () => bed.network.workers === 0);
  } finally {
    await bed.close();
  }
});

Deno.test("a hung shared Worker is stopped; exactly its accounts restart, each told once", async () => {
  const bed = await new FcaTestBed().start({ callTimeoutMs: 2_000 }, { accountsPerWorker: 2 });
  try {
    const accounts = await threeAccountsOnTwoWorkers(bed);
    // The second account's fca blocks the Worker's loop; the first account's call goes
    // unanswered with it, and so does the ping that follows its timeout.
    await (accounts.second.session as FcaSession).testOnlyWorkerFailure({ hangMs: 12_000 });
    await assert.rejects(
      (accounts.first.session as FcaSession).getUserInfo([asUserId(ALICE)]),
      (error: unknown) => isMessengerError(error, "timeout"),
    );
    await onlyTheFailedWorkersAccountsRestarted(bed, accounts, "stopped answering");
  } finally {
    await bed.close();
  }
});
