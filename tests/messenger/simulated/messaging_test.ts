import assert from "node:assert/strict";
import { asMessageId, asThreadId, asUserId } from "../../../src/messenger/ids.ts";
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

Deno.test("sent messages get unique mid.$sim ids and increasing timestamps", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const sent = [];
  for (let i = 0; i < 5; i++) {
    sent.push(await alice.sendMessage(BOB_THREAD, { text: `n${i}` }, { isGroup: false }));
  }
  assert.ok(sent.every((message) => message.id.startsWith("mid.$sim")));
  assert.equal(new Set(sent.map((message) => message.id)).size, 5);
  for (let i = 1; i < sent.length; i++) assert.ok(sent[i].timestamp > sent[i - 1].timestamp);
  await network.close();
});

Deno.test("two networks never hand out the same message id", async () => {
  const [first, second] = [testNetwork(), testNetwork()];
  const a = await (await loginAlice(first)).sendMessage(BOB_THREAD, { text: "x" }, {
    isGroup: false,
  });
  const b = await (await loginAlice(second)).sendMessage(BOB_THREAD, { text: "x" }, {
    isGroup: false,
  });
  assert.notEqual(a.id, b.id);
  await first.close();
  await second.close();
});

Deno.test("two accounts message each other and each sees the thread under the other's id", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const carolEvents = new EventRecorder(carol);
  const aliceEvents = new EventRecorder(alice);
  const sent = await alice.sendMessage(asThreadId(CAROL), { text: "Hi Carol" }, { isGroup: false });
  const received = await carolEvents.next("message");
  assert.equal(received.id, sent.id);
  assert.equal(received.conversation.thread, ALICE);
  assert.equal(received.actor, ALICE);
  assert.equal(received.fromSelf, false);
  await carol.sendMessage(asThreadId(ALICE), { text: "Hi Alice", replyTo: sent.id }, {
    isGroup: false,
  });
  const reply = await aliceEvents.next("message");
  assert.equal(reply.conversation.thread, CAROL);
  assert.deepEqual(reply.replyTo, { id: sent.id, actor: ALICE, text: "Hi Carol" });
  assert.equal(aliceEvents.ofType("message").length, 1, "Alice is not told of her own message");
  await network.close();
});

Deno.test("a message sent from one session reaches the account's other session as fromSelf", async () => {
  const network = testNetwork();
  const phone = await loginAlice(network);
  const gateway = await loginAlice(network);
  const events = new EventRecorder(gateway);
  const sent = await phone.sendMessage(BOB_THREAD, { text: "from my phone" }, { isGroup: false });
  const event = await events.next("message");
  assert.equal(event.id, sent.id);
  assert.equal(event.conversation.thread, BOB_THREAD);
  assert.equal(event.fromSelf, true);
  await network.close();
});

Deno.test("without selfListen, own messages from elsewhere are dropped but own reactions are not", async () => {
  const network = testNetwork();
  const session = await loginAlice(network, { selfListen: false });
  const events = new EventRecorder(session);
  const [mine] = await network.control.inject(ALICE, {
    type: "message",
    sender: ALICE,
    thread: BOB,
    text: "from my phone",
  });
  assert.equal(mine.type, "message");
  if (mine.type !== "message") return;
  await network.control.inject(ALICE, {
    type: "reaction",
    reactor: ALICE,
    messageId: mine.id,
    reaction: "👍",
  });
  const types = events.events.map((event) => event.type).filter((type) => type !== "connection");
  assert.deepEqual(types, ["reaction"]);
  await network.close();
});

Deno.test("events reach a session only after listen", async () => {
  const network = testNetwork();
  const session = await loginAlice(network, { listen: false });
  const events = new EventRecorder(session);
  await network.control.inject(ALICE, { type: "message", sender: BOB, text: "too early" });
  assert.equal(events.events.length, 0);
  await session.listen();
  await network.control.inject(ALICE, { type: "message", sender: BOB, text: "in time" });
  assert.deepEqual(events.events.map((event) => event.type), ["connection", "message"]);
  assert.equal(events.ofType("message")[0].text, "in time");
  await network.close();
});

Deno.test("events are delivered after the call that caused them, never inside it", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const events = new EventRecorder(carol);
  await network.control.idle();
  const before = events.events.length;
  const sending = alice.sendMessage(asThreadId(CAROL), { text: "async" }, { isGroup: false });
  assert.equal(events.events.length, before);
  await sending;
  await network.control.idle();
  assert.equal(events.events.length, before + 1);
  await network.close();
});

Deno.test("a message to a thread the account is not in, or to nobody, is not_found", async () => {
  const network = testNetwork();
  const carol = await loginCarol(network);
  await assertRejectsWith(
    carol.sendMessage(asThreadId("900002"), { text: "hi" }, { isGroup: true }),
    "not_found",
  );
  await assertRejectsWith(
    carol.sendMessage(asThreadId("424242"), { text: "hi" }, { isGroup: false }),
    "not_found",
  );
  await assertRejectsWith(
    carol.sendMessage(asThreadId(CAROL), { text: "me" }, { isGroup: false }),
    "not_found",
  );
  await network.close();
});

Deno.test("an empty or whitespace-only message, or a wrong isGroup, is bad_request", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  await assertRejectsWith(alice.sendMessage(BOB_THREAD, {}, { isGroup: false }), "bad_request");
  await assertRejectsWith(
    alice.sendMessage(BOB_THREAD, { text: "  \n" }, { isGroup: false }),
    "bad_request",
  );
  await assertRejectsWith(
    alice.sendMessage(BOB_THREAD, { text: "x".repeat(20_001) }, { isGroup: false }),
    "bad_request",
  );
  await assertRejectsWith(
    alice.sendMessage(HIKING, { text: "hi" }, { isGroup: false }),
    "bad_request",
  );
  await assertRejectsWith(
    alice.sendMessage(BOB_THREAD, { text: "hi" }, { isGroup: true }),
    "bad_request",
  );
  const failed = network.control.operations(ALICE).operations.filter((op) => op.error);
  assert.equal(failed.length, 5);
  assert.ok(failed.every((op) => op.method === "sendMessage" && op.error === "bad_request"));
  await network.close();
});

Deno.test("a reply to a message of another thread, or to an unknown one, is not_found", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const inGroup = await alice.sendMessage(HIKING, { text: "group" }, { isGroup: true });
  await assertRejectsWith(
    alice.sendMessage(BOB_THREAD, { text: "reply", replyTo: inGroup.id }, { isGroup: false }),
    "not_found",
  );
  await assertRejectsWith(
    alice.sendMessage(BOB_THREAD, { text: "reply", replyTo: asMessageId("mid.$nope") }, {
      isGroup: false,
    }),
    "not_found",
  );
  await network.close();
});

Deno.test("mentions must name members and lie inside the text, and are delivered as given", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const events = new EventRecorder(carol);
  await assertRejectsWith(
    alice.sendMessage(HIKING, {
      text: "hi you",
      mentions: [{ user: asUserId("200001"), offset: 3, length: 3 }],
    }, { isGroup: true }),
    "bad_request",
  );
  await assertRejectsWith(
    alice.sendMessage(HIKING, { text: "hi", mentions: [{ user: CAROL, offset: 1, length: 5 }] }, {
      isGroup: true,
    }),
    "bad_request",
  );
  await alice.sendMessage(HIKING, {
    text: "hi Carol",
    mentions: [{ user: CAROL, offset: 3, length: 5 }],
  }, {
    isGroup: true,
  });
  const event = await events.next("message");
  assert.equal(event.conversation.thread, HIKING);
  assert.equal(event.conversation.kind, "group");
  assert.deepEqual(event.mentions, [{ user: CAROL, offset: 3, length: 5 }]);
  await network.close();
});

Deno.test("the operation log records sends with body, reply target and mentions, in order", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const first = await alice.sendMessage(BOB_THREAD, { text: "one" }, { isGroup: false });
  await alice.sendMessage(BOB_THREAD, { text: "two", replyTo: first.id }, { isGroup: false });
  const page = network.control.operations(ALICE);
  const sends = page.operations.filter((operation) => operation.method === "sendMessage");
  assert.deepEqual(
    sends.map((operation) =>
      operation.method === "sendMessage" && [operation.text, operation.replyTo]
    ),
    [["one", undefined], ["two", first.id]],
  );
  assert.deepEqual(page.operations.map((operation) => operation.seq), [1, 2, 3, 4]);
  assert.deepEqual(network.control.operations(ALICE, page.next), { operations: [], next: 4 });
  assert.deepEqual(network.control.operations(ALICE, 3).operations.map((op) => op.seq), [4]);
  await network.close();
});
