import assert from "node:assert/strict";
import { asThreadId, asUserId, directThreadOf } from "../../../src/messenger/ids.ts";
import { parseWorld, SimulatedNetwork } from "../../../src/messenger/simulated/mod.ts";
import { assertRejectsWith } from "../_contract.ts";
import {
  ALICE,
  BOB,
  BOB_THREAD,
  CAROL,
  ECHO,
  HIKING,
  loginAlice,
  STRANGER,
  testNetwork,
} from "./_world.ts";

Deno.test("threads are listed newest first, with only 1:1 threads that have messages", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  await alice.sendMessage(BOB_THREAD, { text: "hi Bob" }, { isGroup: false });
  await alice.sendMessage(HIKING, { text: "hi club" }, { isGroup: true });
  const threads = await alice.getThreads(10);
  assert.deepEqual(threads.map((thread) => thread.id), [HIKING, BOB_THREAD, "900002"]);
  assert.equal(threads[1].name, "Bob Builder");
  assert.equal(threads[1].isGroup, false);
  assert.deepEqual((await alice.getThreads(1)).map((thread) => thread.id), [HIKING]);
  await assertRejectsWith(alice.getThreads(0), "bad_request");
  await network.close();
});

Deno.test("history gives the last messages before a time, oldest first", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const sent = [];
  for (const text of ["a", "b", "c", "d"]) {
    sent.push(await alice.sendMessage(BOB_THREAD, { text }, { isGroup: false }));
  }
  assert.deepEqual((await alice.getHistory(BOB_THREAD, 2)).map((message) => message.text), [
    "c",
    "d",
  ]);
  const before = await alice.getHistory(BOB_THREAD, 10, sent[2].timestamp);
  assert.deepEqual(before.map((message) => message.text), ["a", "b"]);
  assert.equal(before[0].thread, BOB_THREAD);
  assert.equal(before[0].sender, ALICE);
  await network.close();
});

Deno.test("friends, user info and search describe the world's users", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const friends = await alice.getFriends();
  assert.deepEqual(friends.map((friend) => friend.id), [ECHO, BOB, CAROL]);
  assert.ok(friends.every((friend) => friend.isFriend));
  const [stranger, unknownLeftOut] = await alice.getUserInfo([STRANGER, asUserId("404")]);
  assert.equal(unknownLeftOut, undefined);
  assert.equal(stranger.name, "Stranger Danger");
  assert.equal(stranger.firstName, "Stranger");
  assert.equal(stranger.isFriend, false);
  assert.deepEqual((await alice.searchUsers("BO")).map((user) => user.id), [ECHO, BOB]);
  assert.deepEqual((await alice.searchUsers("danger")).map((user) => user.id), [STRANGER]);
  assert.deepEqual(await alice.searchUsers("alice"), []);
  await assertRejectsWith(alice.searchUsers("  "), "bad_request");
  await network.close();
});

Deno.test("a message from a non-friend is a message request until accepted", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  await network.control.inject(ALICE, { type: "message", sender: STRANGER, text: "hello?" });
  const strangerThread = asThreadId(STRANGER);
  assert.equal((await alice.getThreadInfo(strangerThread)).isMessageRequest, true);
  await alice.handleMessageRequest([strangerThread], true);
  assert.equal((await alice.getThreadInfo(strangerThread)).isMessageRequest, false);
  await assertRejectsWith(alice.handleMessageRequest([strangerThread], true), "bad_request");
  await network.close();
});

Deno.test("a declined message request leaves the thread list until the next message", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  await network.control.inject(ALICE, { type: "message", sender: STRANGER, text: "buy now" });
  await alice.handleMessageRequest([asThreadId(STRANGER)], false);
  assert.ok(!(await alice.getThreads(10)).some((thread) => thread.id === directThreadOf(STRANGER)));
  await network.control.inject(ALICE, { type: "message", sender: STRANGER, text: "again" });
  const thread = (await alice.getThreads(10)).find((entry) =>
    entry.id === directThreadOf(STRANGER)
  );
  assert.equal(thread?.isMessageRequest, true);
  await network.close();
});

Deno.test("the world's message requests are pending from the start", async () => {
  const world = parseWorld(
    await Deno.readTextFile(new URL("../../../examples/world.toml", import.meta.url)),
    "world.toml",
  );
  const network = new SimulatedNetwork(world);
  const [request] = network.control.threads("100001").filter((thread) => thread.isMessageRequest);
  assert.equal(request.id, "300001");
  assert.equal(request.unreadCount, 1);
  await network.close();
});

Deno.test("replying to a friend does not make the thread a request", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  await alice.sendMessage(asThreadId(BOB), { text: "hi" }, { isGroup: false });
  await network.control.inject(ALICE, { type: "message", sender: BOB, text: "hi back" });
  assert.equal((await alice.getThreadInfo(BOB_THREAD)).isMessageRequest, false);
  await network.close();
});
