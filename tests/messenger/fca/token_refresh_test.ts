/**
 * The request tokens (fb_dtsg, LSD) are refreshed in the same Worker — no new login — every ~2
 * hours (jittered) and when Facebook refuses them (1357004, what a stale token gets), on both
 * home page styles. The fake rotates an account's tokens the way Facebook expires them.
 */

import assert from "node:assert/strict";
import type { FcaSession } from "../../../src/messenger/fca/fca_session.ts";
import { DEFAULT_FCA_TIMINGS } from "../../../src/messenger/fca/timings.ts";
import { asThreadId } from "../../../src/messenger/ids.ts";
import {
  ALICE,
  FcaTestBed,
  ManualClock,
  PAGE_STYLES,
  RECOVERY_MS,
  SELF,
  waitFor,
} from "./_harness.ts";

const TWO_HOURS = DEFAULT_FCA_TIMINGS.tokenRefreshMs;

for (const style of PAGE_STYLES) {
  Deno.test(`${style} page: the tokens are refreshed every ~2 hours, jittered`, async () => {
    // random() = 0.9: the delay lands at +12 % of the period (the jitter is ±15 %).
    const clock = new ManualClock(0.9);
    const bed = await new FcaTestBed().start({ tokenRefreshMs: TWO_HOURS }, {
      pageStyle: style,
      clock,
    });
    try {
      const account = await bed.connect({ id: SELF });
      const expected = Math.round(TWO_HOURS * 1.12);
      assert.ok(clock.pending().includes(expected), `a refresh timer: ${clock.pending()}`);
      const fresh = bed.fake.rotateTokens(SELF);
      assert.equal(clock.fire((ms) => ms === expected), 1);
      await waitFor("the refresh", () => bed.fake.tokenRefreshes.get(SELF) === 1, RECOVERY_MS);
      await waitFor(
        "the next refresh timer",
        () => clock.pending().includes(expected),
        RECOVERY_MS,
      );
      await account.session.sendMessage(asThreadId(ALICE), { text: "fresh" }, { isGroup: false });
      const send = bed.fake.requestsTo("/messaging/send/").at(-1)!;
      assert.equal(send.form.fb_dtsg, fresh.fbDtsg, "the refreshed token is used");
      if (style === "2026") assert.equal(send.headers["x-fb-lsd"], fresh.lsd);
      assert.equal(bed.fake.homePageLogins.get(SELF), 1, "no new login");
    } finally {
      await bed.close();
    }
  });

  Deno.test(`${style} page: a call refused for stale tokens refreshes them and is tried again`, async () => {
    const bed = await new FcaTestBed().start({}, { pageStyle: style });
    try {
      const account = await bed.connect({ id: SELF });
      const session = account.session as FcaSession;
      const stale = bed.fake.tokensOf(SELF);
      const fresh = bed.fake.rotateTokens(SELF);
      await session.sendMessage(asThreadId(ALICE), { text: "once" }, { isGroup: false });
      const sends = bed.fake.requestsTo("/messaging/send/");
      assert.deepEqual(sends.map((request) => request.form.fb_dtsg), [stale.fbDtsg, fresh.fbDtsg]);
      assert.equal(bed.fake.tokenRefreshes.get(SELF), 1);
      // A GraphQL query too (fca 1.3.10 crashes on the refusal there instead of reporting it).
      bed.fake.rotateTokens(SELF);
      assert.ok(Array.isArray(await session.getThreads(5)));
      assert.equal(bed.fake.tokenRefreshes.get(SELF), 2);
      assert.equal(bed.fake.homePageLogins.get(SELF), 1, "no new login");
      assert.equal(session.state.status, "connected");
    } finally {
      await bed.close();
    }
  });

  Deno.test(`${style} page: a listener refused for stale tokens comes back after a refresh`, async () => {
    const bed = await new FcaTestBed().start({}, { pageStyle: style });
    try {
      const account = await bed.connect({ id: SELF });
      const connections = bed.fake.connections.length;
      bed.fake.rotateTokens(SELF);
      // A restart asks for the sequence id again: refused with the stale token.
      bed.fake.dropConnections(SELF);
      await waitFor("a new connection", () =>
        bed.fake.liveConnections(SELF).length === 1 &&
        bed.fake.connections.length > connections, RECOVERY_MS);
      await waitFor("connected", () => account.session.state.status === "connected", RECOVERY_MS);
      assert.ok((bed.fake.tokenRefreshes.get(SELF) ?? 0) >= 1);
      assert.equal(bed.fake.homePageLogins.get(SELF), 1, "no new login");
    } finally {
      await bed.close();
    }
  });
}
