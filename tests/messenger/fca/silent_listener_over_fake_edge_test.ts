/**
 * The fca half of "connected but silent": the fake edge's `silence` fault keeps the MQTT
 * connection up (pings answered) while no delta arrives, although Messenger has the messages.
 * Through the adapter a watchdog can see the gap — the thread list's newest message, and the
 * history's ids — and end it with `restartListener`, without a new login. Both page styles.
 */

import assert from "node:assert/strict";
import type { MessageEvent } from "../../../src/messenger/events.ts";
import { asThreadId, asUserId } from "../../../src/messenger/ids.ts";
import { capability } from "../../../src/messenger/session.ts";
import { ALICE, FcaTestBed, GROUP, PAGE_STYLES, RECOVERY_MS, SELF, waitFor } from "./_harness.ts";

for (const style of PAGE_STYLES) {
  Deno.test(`${style} page: a silenced listener is seen by content, and restarted`, async () => {
    const bed = await new FcaTestBed().start({}, { pageStyle: style });
    try {
      const account = await bed.connect({ id: SELF });
      const { fake } = bed;
      const messages = () =>
        account.remote().filter((event): event is MessageEvent => event.type === "message");
      const from = (thread: string, text: string) => ({
        thread,
        isGroup: thread === GROUP,
        sender: ALICE,
        text,
      });

      const before = fake.deliverMessage(SELF, from(ALICE, "Delivered"), style);
      await waitFor("the first message", () => messages().length === 1);
      assert.equal(messages()[0].id, before.id);

      assert.equal(fake.silence(SELF), 1);
      const missed = fake.deliverMessage(SELF, from(ALICE, "Never delivered"), style);
      const missedInGroup = fake.deliverMessage(SELF, from(GROUP, "Nor this one"), style);
      assert.equal(missed.published + missedInGroup.published, 0, "nothing reached fca");
      // The silenced connection still answers keepalives: to fca it looks healthy. (fca pings
      // every 10 s; waited for on one page style only, to keep the suite short.)
      const silenced = fake.liveConnections(SELF)[0];
      if (style === "2026") {
        const answered = silenced.pingsAnswered;
        await waitFor("a keepalive answered", () => silenced.pingsAnswered > answered, RECOVERY_MS);
      }
      assert.equal(silenced.socket.readyState, WebSocket.OPEN);
      assert.equal(account.session.state.status, "connected");

      // What a watchdog compares: the thread list's newest message per thread…
      const threads = await capability(account.session, "getThreads")(5);
      const direct = threads.find((thread) => thread.id === ALICE);
      const group = threads.find((thread) => thread.id === GROUP);
      assert.deepEqual(direct?.lastMessage, {
        timestamp: missed.timestamp,
        sender: asUserId(ALICE),
        snippet: "Never delivered",
      });
      assert.equal(direct?.lastActivity, missed.timestamp);
      assert.equal(group?.lastMessage?.timestamp, missedInGroup.timestamp);
      // …and the history's newest messages, with their ids, to backfill what was missed.
      const history = await capability(account.session, "getHistory")(asThreadId(ALICE), 2);
      assert.deepEqual(history.map((message) => [message.id, message.text]), [
        [before.id, "Delivered"],
        [missed.id, "Never delivered"],
      ]);
      assert.ok(!messages().some((message) => message.id === missed.id), "really missed");

      const connections = fake.connections.length;
      await capability(account.session, "restartListener")();
      assert.equal(account.session.state.status, "connected");
      assert.equal(fake.connections.length, connections + 1, "a fresh MQTT connection");
      assert.equal(fake.liveConnections(SELF).length, 1, "the silent one was closed");
      assert.equal(fake.homePageLogins.get(SELF), 1, "no new login");

      const after = fake.deliverMessage(SELF, from(ALICE, "After the restart"), style);
      assert.equal(after.published, 1);
      await waitFor(
        "the message after the restart",
        () => messages().some((message) => message.id === after.id),
      );
    } finally {
      await bed.close();
    }
  });
}
