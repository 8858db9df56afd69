import assert from "node:assert/strict";
import { asThreadId } from "../../../src/messenger/ids.ts";
import { assertRejectsWith, EventRecorder } from "../_contract.ts";
import {
  ALICE,
  BOB,
  BOB_THREAD,
  CAROL,
  HIKING,
  loginAlice,
  loginCarol,
  testNetwork,
} from "./_world.ts";

Deno.test("marking a thread read sends a read receipt to the other side and clears the unread count", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const carolEvents = new EventRecorder(carol);
  await carol.sendMessage(asThreadId(ALICE), { text: "one" }, { isGroup: false });
  await carol.sendMessage(asThreadId(ALICE), { text: "two" }, { isGroup: false });
  assert.equal((await alice.getThreadInfo(asThreadId(CAROL))).unreadCount, 2);
  await alice.markRead(asThreadId(CAROL));
  const receipt = await carolEvents.next("read_receipt");
  assert.equal(receipt.conversation.thread, ALICE);
  assert.equal(receipt.actor, ALICE);
  assert.equal(receipt.fromSelf, false);
  assert.equal((await alice.getThreadInfo(asThreadId(CAROL))).unreadCount, 0);
  await network.close();
});

Deno.test("a friend's read receipt and typing arrive, defaulting to their 1:1 thread", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  await network.control.inject(ALICE, [
    { type: "typing", user: BOB },
    { type: "typing", user: BOB, typing: false },
    { type: "read_receipt", reader: BOB, timestamp: 1234 },
  ]);
  assert.deepEqual(
    events.ofType("typing").map((event) => [event.conversation.thread, event.typing]),
    [
      [BOB_THREAD, true],
      [BOB_THREAD, false],
    ],
  );
  assert.deepEqual(events.ofType("read_receipt"), [{
    type: "read_receipt",
    conversation: { thread: BOB_THREAD, kind: "direct" },
    actor: BOB,
    timestamp: 1234,
    fromSelf: false,
  }]);
  await network.close();
});

Deno.test("typing in a group reaches the other members but not the typist", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const aliceEvents = new EventRecorder(alice);
  const carolEvents = new EventRecorder(carol);
  await alice.setTyping(HIKING, true, { isGroup: true });
  const event = await carolEvents.next("typing");
  assert.deepEqual({ ...event, timestamp: 0 }, {
    type: "typing",
    conversation: { thread: HIKING, kind: "group" },
    actor: ALICE,
    timestamp: 0,
    typing: true,
    fromSelf: false,
  });
  await network.control.idle();
  assert.equal(aliceEvents.ofType("typing").length, 0);
  await network.close();
});

Deno.test("reading from another device reaches the gateway as a fromSelf read receipt", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  await network.control.inject(ALICE, { type: "read_receipt", reader: ALICE, thread: BOB });
  const receipt = await events.next("read_receipt");
  assert.equal(receipt.fromSelf, true);
  assert.equal(receipt.conversation.thread, BOB_THREAD);
  await network.close();
});

Deno.test("the account acting itself through the control API must name the thread", async () => {
  const network = testNetwork();
  await assertRejectsWith(
    network.control.inject(ALICE, { type: "typing", user: ALICE }),
    "bad_request",
  );
  await network.close();
});

Deno.test("presence reaches the accounts that have the user as a friend", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const aliceEvents = new EventRecorder(alice);
  const carolEvents = new EventRecorder(carol);
  await network.control.inject(ALICE, {
    type: "presence",
    user: BOB,
    online: false,
    lastActive: 5,
  });
  assert.deepEqual(aliceEvents.ofType("presence"), [{
    type: "presence",
    actor: BOB,
    online: false,
    lastActive: 5,
  }]);
  assert.equal(carolEvents.ofType("presence").length, 0);
  await network.close();
});
