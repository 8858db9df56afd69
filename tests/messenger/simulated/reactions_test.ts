import assert from "node:assert/strict";
import { asMessageId, asThreadId } from "../../../src/messenger/ids.ts";
import { assertRejectsWith, EventRecorder } from "../_contract.ts";
import { ALICE, BOB, CAROL, HIKING, loginAlice, loginCarol, testNetwork } from "./_world.ts";

Deno.test("a user has one reaction per message: a new one replaces it and an empty one removes it", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const events = new EventRecorder(carol);
  const sent = await carol.sendMessage(HIKING, { text: "Trail open?" }, { isGroup: true });
  await alice.react(sent.id, "👍");
  await alice.react(sent.id, "❤️");
  await alice.react(sent.id, "");
  await network.control.idle();
  assert.deepEqual(
    events.ofType("reaction").map((
      event,
    ) => [event.actor, event.reaction, event.conversation.thread]),
    [[ALICE, "👍", HIKING], [ALICE, "❤️", HIKING], [ALICE, "", HIKING]],
  );
  await network.close();
});

Deno.test("a reaction that changes nothing produces no event", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const events = new EventRecorder(carol);
  const sent = await carol.sendMessage(asThreadId(ALICE), { text: "hi" }, { isGroup: false });
  await alice.react(sent.id, "");
  await alice.react(sent.id, "😮");
  await alice.react(sent.id, "😮");
  await network.control.idle();
  assert.equal(events.ofType("reaction").length, 1);
  await network.close();
});

Deno.test("reactions of different users on one message coexist", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const sent = await alice.sendMessage(HIKING, { text: "Saturday?" }, { isGroup: true });
  const events = new EventRecorder(alice);
  await network.control.inject(ALICE, [
    { type: "reaction", reactor: BOB, messageId: sent.id, reaction: "👍" },
    { type: "reaction", reactor: CAROL, messageId: sent.id, reaction: "👎" },
  ]);
  assert.deepEqual(
    events.ofType("reaction").map((event) => [event.actor, event.reaction, event.fromSelf]),
    [[BOB, "👍", false], [CAROL, "👎", false]],
  );
  await network.close();
});

Deno.test("a reaction must be a single emoji", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const sent = await alice.sendMessage(HIKING, { text: "x" }, { isGroup: true });
  for (const reaction of ["👍👍", "ok", " "]) {
    await assertRejectsWith(alice.react(sent.id, reaction), "bad_request");
  }
  await alice.react(sent.id, "👨‍👩‍👧");
  await network.close();
});

Deno.test("reacting to an unknown message or one of a thread the account is not in is not_found", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const private_ = await alice.sendMessage(asThreadId("200002"), { text: "secret" }, {
    isGroup: false,
  });
  await assertRejectsWith(carol.react(private_.id, "👍"), "not_found");
  await assertRejectsWith(alice.react(asMessageId("mid.$missing"), "👍"), "not_found");
  await network.close();
});

Deno.test("the operation log records reactions with their target", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const sent = await alice.sendMessage(HIKING, { text: "x" }, { isGroup: true });
  await alice.react(sent.id, "🎉");
  const last = network.control.operations(ALICE).operations.at(-1);
  assert.equal(last?.method, "react");
  if (last?.method === "react") {
    assert.equal(last.messageId, sent.id);
    assert.equal(last.reaction, "🎉");
  }
  await network.close();
});
