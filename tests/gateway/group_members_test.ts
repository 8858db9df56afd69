import assert from "node:assert/strict";
import { ConversationDirectory } from "../../src/gateway/conversation_directory.ts";
import {
  type GroupInfo,
  occupantOf,
  occupantsOf,
  withMembers,
  withoutMember,
} from "../../src/gateway/group_members.ts";
import { asThreadId, asUserId } from "../../src/messenger/ids.ts";

const ALICE = "alice@example.org";
const GROUP = asThreadId("900001");
const SELF = { id: asUserId("100001"), name: "Alice" };
const BOB = { id: asUserId("200002"), name: "Bob" };
const CARLA = { id: asUserId("200003"), name: "Carla" };

/** A directory (over an in-memory KV, closed on disposal) that holds the group. */
async function directoryWith(
  group: GroupInfo,
): Promise<ConversationDirectory & { [Symbol.asyncDispose](): Promise<void> }> {
  const kv = await Deno.openKv(":memory:");
  const directory = new ConversationDirectory(kv, ALICE);
  await directory.saveGroup(GROUP, group);
  return Object.assign(directory, { [Symbol.asyncDispose]: () => Promise.resolve(kv.close()) });
}

/** The directory's current version of the group. */
async function stored(directory: ConversationDirectory): Promise<GroupInfo> {
  const info = await directory.group(GROUP);
  assert.ok(info);
  return info;
}

Deno.test("nicks are unique in the room, the account keeps its own name", () => {
  const group = { members: [{ id: BOB.id, name: "Alice" }, BOB, CARLA], admins: [CARLA.id] };
  const occupants = occupantsOf(group, SELF);
  assert.deepEqual(occupants.map((o) => o.nick), ["Alice", "Alice (2)", "Bob", "Carla"]);
  assert.deepEqual(occupants.map((o) => o.admin), [false, false, false, true]);
  assert.equal(occupants[0].self, true);
});

Deno.test("a group's occupants are computed once per stored version and account", async () => {
  await using directory = await directoryWith({ name: "Club", members: [SELF, BOB], admins: [] });
  const info = await stored(directory);
  assert.equal(await directory.group(GROUP), info, "the same version, the same object");
  assert.ok(Object.isFrozen(info) && Object.isFrozen(info.members[0]));
  const occupants = occupantsOf(info, { ...SELF });
  assert.equal(occupantsOf(info, { ...SELF }), occupants, "not computed again");
  assert.equal(occupantOf(info, SELF, BOB.id), occupants[1], "found by id in the same list");
  assert.equal(occupantOf(info, SELF, SELF.id), occupants[0]);
  assert.equal(occupantOf(info, SELF, CARLA.id), undefined);
  assert.throws(() => {
    (occupants[1] as { nick: string }).nick = "changed";
  }, TypeError);
  // Another name for the account is another list.
  const renamed = occupantsOf(info, { ...SELF, name: "Alice B." });
  assert.notEqual(renamed, occupants);
  assert.equal(renamed[0].nick, "Alice B.");
  // A group that is not frozen (a caller's copy) is computed every time: it may change.
  const copy = { ...info, members: [...info.members] };
  assert.notEqual(occupantsOf(copy, SELF), occupantsOf(copy, SELF));
  copy.members.push(CARLA);
  assert.deepEqual(occupantsOf(copy, SELF).map((o) => o.nick), ["Alice", "Bob", "Carla"]);
  assert.equal(occupantOf(copy, SELF, CARLA.id)?.nick, "Carla");
});

Deno.test("a membership, member name, admin or group name change gives new occupants", async () => {
  await using directory = await directoryWith({ name: "Club", members: [SELF, BOB], admins: [] });
  const first = occupantsOf(await stored(directory), SELF);
  assert.deepEqual(first.map((o) => o.nick), ["Alice", "Bob"]);

  await directory.saveGroup(GROUP, withMembers(await stored(directory), [CARLA]));
  const added = occupantsOf(await stored(directory), SELF);
  assert.deepEqual(added.map((o) => o.nick), ["Alice", "Bob", "Carla"]);

  await directory.saveGroup(GROUP, withMembers(await stored(directory), [{ ...BOB, name: "Rob" }]));
  assert.deepEqual(occupantsOf(await stored(directory), SELF).map((o) => o.nick), [
    "Alice",
    "Rob",
    "Carla",
  ]);

  const info = await stored(directory);
  await directory.saveGroup(GROUP, { ...info, admins: [CARLA.id] });
  assert.deepEqual(occupantsOf(await stored(directory), SELF).map((o) => o.admin), [
    false,
    false,
    true,
  ]);

  await directory.saveGroup(GROUP, withoutMember(await stored(directory), CARLA.id));
  assert.deepEqual(occupantsOf(await stored(directory), SELF).map((o) => o.nick), ["Alice", "Rob"]);

  const before = await stored(directory);
  await directory.observe({ thread: GROUP, kind: "group" }, "Mountain club");
  const after = await stored(directory);
  assert.notEqual(after, before);
  assert.equal(after.name, "Mountain club");
  assert.deepEqual(occupantsOf(after, SELF).map((o) => o.nick), ["Alice", "Rob"]);
  // The first list was not changed by any of this.
  assert.deepEqual(first.map((o) => o.nick), ["Alice", "Bob"]);
});
