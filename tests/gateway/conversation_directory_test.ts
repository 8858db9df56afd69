import assert from "node:assert/strict";
import { ConversationDirectory } from "../../src/gateway/conversation_directory.ts";
import { asThreadId, asUserId } from "../../src/messenger/ids.ts";
import { putGroup } from "../../src/store/conversations.ts";

const ALICE = "alice@example.org";
const GROUP = asThreadId("900001");
const BOB = asThreadId("200002");

Deno.test("groups are remembered across restarts; anything else is a direct chat", async () => {
  const opened = await Deno.openKv(":memory:");
  using kv = Object.assign(opened, { [Symbol.dispose]: () => opened.close() });
  const before = new ConversationDirectory(kv, ALICE);
  assert.deepEqual(await before.lookup(GROUP), { thread: GROUP, kind: "direct", left: false });
  await before.observe({ thread: GROUP, kind: "group" }, "Hiking club");
  await before.observe({ thread: BOB, kind: "direct" });

  const after = new ConversationDirectory(kv, ALICE); // the gateway restarted
  assert.deepEqual(await after.lookup(GROUP), {
    thread: GROUP,
    kind: "group",
    left: false,
    name: "Hiking club",
  });
  assert.equal((await after.lookup(BOB)).kind, "direct");
  assert.deepEqual((await after.groups()).map((g) => g.name), ["Hiking club"]);

  // A rename keeps it a group; leaving keeps it known (as left) so it never becomes a contact.
  await after.observe({ thread: GROUP, kind: "group" }, "Mountain club");
  await after.leave(GROUP);
  const later = new ConversationDirectory(kv, ALICE);
  assert.deepEqual(await later.lookup(GROUP), {
    thread: GROUP,
    kind: "group",
    left: true,
    name: "Mountain club",
  });
  assert.deepEqual(await later.groups(), []);
  // A late event of the left group changes nothing; being added again (saved afresh) does.
  await later.observe({ thread: GROUP, kind: "group" });
  assert.equal((await later.lookup(GROUP)).left, true);
  await later.saveGroup(GROUP, { name: "Mountain club", members: [], admins: [] });
  assert.equal((await later.lookup(GROUP)).left, false);
});

Deno.test("a closed directory writes nothing (the user unregistered)", async () => {
  const kv = await Deno.openKv(":memory:");
  const directory = new ConversationDirectory(kv, ALICE);
  directory.close();
  await directory.observe({ thread: GROUP, kind: "group" }, "Hiking club");
  const entries = await Array.fromAsync(kv.list({ prefix: [] }));
  assert.deepEqual(entries, []);
  kv.close();
});

Deno.test("members' pictures are remembered across restarts; entries stored without them load", async () => {
  const opened = await Deno.openKv(":memory:");
  using kv = Object.assign(opened, { [Symbol.dispose]: () => opened.close() });
  // As a gateway that did not keep pictures yet stored it.
  await putGroup(kv, ALICE, {
    thread: GROUP,
    name: "Hiking club",
    members: [{ id: "200002", name: "Bob Builder" }],
    updatedAt: 1,
  });
  const old = new ConversationDirectory(kv, ALICE);
  assert.deepEqual((await old.group(GROUP))?.members, [
    { id: asUserId("200002"), name: "Bob Builder" },
  ]);
  await old.saveGroup(GROUP, {
    name: "Hiking club",
    members: [
      { id: asUserId("200002"), name: "Bob Builder", avatarUrl: "https://cdn.example/bob.jpg" },
      { id: asUserId("300001"), name: "Carla" },
    ],
    admins: [],
  });
  const after = new ConversationDirectory(kv, ALICE); // the gateway restarted
  assert.deepEqual((await after.group(GROUP))?.members, [
    { id: asUserId("200002"), name: "Bob Builder", avatarUrl: "https://cdn.example/bob.jpg" },
    { id: asUserId("300001"), name: "Carla" },
  ]);
});
