import assert from "node:assert/strict";
import { EventRecorder } from "../_contract.ts";
import { ALICE, ECHO, ECHO_CHAMBER, ECHO_THREAD, loginAlice, testNetwork } from "./_world.ts";

Deno.test("an echo friend answers with the same text and attachments on the next tick", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  const sent = await alice.sendMessage(ECHO_THREAD, {
    text: "ping",
    attachments: [{ filename: "a.txt", contentType: "text/plain", data: new Uint8Array([1, 2]) }],
  }, { isGroup: false });
  const answer = await events.next("message");
  assert.notEqual(answer.id, sent.id);
  assert.equal(answer.actor, ECHO);
  assert.equal(answer.conversation.thread, ECHO_THREAD);
  assert.equal(answer.text, "ping");
  assert.equal(answer.attachments.length, 1);
  assert.equal(answer.attachments[0].filename, "a.txt");
  assert.ok(answer.timestamp > sent.timestamp);
  await network.close();
});

Deno.test("the echo delay option postpones the answer", async () => {
  const network = testNetwork({ echoDelayMs: 40 });
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  const started = performance.now();
  await alice.sendMessage(ECHO_THREAD, { text: "slow" }, { isGroup: false });
  await events.next("message");
  assert.ok(performance.now() - started >= 35);
  await network.close();
});

Deno.test("an echo friend mirrors reactions, including their removal", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  await alice.sendMessage(ECHO_THREAD, { text: "react to me" }, { isGroup: false });
  const answer = await events.next("message");
  await alice.react(answer.id, "😂");
  await network.control.idle();
  await alice.react(answer.id, "");
  await network.control.idle();
  assert.deepEqual(
    events.ofType("reaction").map((event) => [event.messageId, event.actor, event.reaction]),
    [[answer.id, ECHO, "😂"], [answer.id, ECHO, ""]],
  );
  await network.close();
});

Deno.test("an echo friend in a group echoes everybody's messages but not its own", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  await alice.sendMessage(ECHO_CHAMBER, { text: "hello group" }, { isGroup: true });
  await network.control.idle();
  await network.control.inject(ALICE, {
    type: "message",
    sender: "200002",
    thread: ECHO_CHAMBER,
    text: "from Bob",
  });
  await network.control.idle();
  assert.deepEqual(
    events.ofType("message").map((event) => [event.actor, event.text]),
    [[ECHO, "hello group"], ["200002", "from Bob"], [ECHO, "from Bob"]],
  );
  await network.close();
});

Deno.test("closing the network cancels a pending echo", async () => {
  const network = testNetwork({ echoDelayMs: 5_000 });
  const alice = await loginAlice(network);
  await alice.sendMessage(ECHO_THREAD, { text: "never answered" }, { isGroup: false });
  await network.close();
});
