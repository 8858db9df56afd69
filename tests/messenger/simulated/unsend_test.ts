import assert from "node:assert/strict";
import { asMessageId } from "../../../src/messenger/ids.ts";
import { assertRejectsWith, EventRecorder } from "../_contract.ts";
import { ALICE, BOB, BOB_THREAD, HIKING, loginAlice, loginCarol, testNetwork } from "./_world.ts";

Deno.test("unsending an own message tells the other members and hides it from history", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const events = new EventRecorder(carol);
  const sent = await alice.sendMessage(HIKING, { text: "wrong chat" }, { isGroup: true });
  await alice.unsend(sent.id);
  const event = await events.next("unsend");
  assert.deepEqual(
    { ...event, timestamp: 0 },
    {
      type: "unsend",
      conversation: { thread: HIKING, kind: "group" },
      actor: ALICE,
      messageId: sent.id,
      timestamp: 0,
      fromSelf: false,
    },
  );
  const history = await alice.getHistory(HIKING, 10);
  assert.ok(!history.some((message) => message.id === sent.id));
  await network.close();
});

Deno.test("unsending somebody else's message is bad_request", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const sent = await carol.sendMessage(HIKING, { text: "mine" }, { isGroup: true });
  await assertRejectsWith(alice.unsend(sent.id), "bad_request");
  await network.close();
});

Deno.test("unsending an unknown or already unsent message is not_found", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const sent = await alice.sendMessage(BOB_THREAD, { text: "x" }, { isGroup: false });
  await alice.unsend(sent.id);
  await assertRejectsWith(alice.unsend(sent.id), "not_found");
  await assertRejectsWith(alice.unsend(asMessageId("mid.$nothing")), "not_found");
  await assertRejectsWith(alice.react(sent.id, "👍"), "not_found");
  await network.close();
});

Deno.test("a friend can unsend only their own message through the control API", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const sent = await alice.sendMessage(BOB_THREAD, { text: "x" }, { isGroup: false });
  await assertRejectsWith(
    network.control.inject(ALICE, { type: "unsend", sender: BOB, messageId: sent.id }),
    "bad_request",
  );
  await network.close();
});

Deno.test("the account unsending from another device reaches the gateway as fromSelf", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  const sent = await alice.sendMessage(BOB_THREAD, { text: "x" }, { isGroup: false });
  await network.control.inject(ALICE, { type: "unsend", sender: ALICE, messageId: sent.id });
  const event = await events.next("unsend");
  assert.equal(event.fromSelf, true);
  assert.equal(event.conversation.thread, BOB_THREAD);
  await network.close();
});
