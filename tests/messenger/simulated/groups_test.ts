import assert from "node:assert/strict";
import { asThreadId, asUserId, type UserId } from "../../../src/messenger/ids.ts";
import { assertRejectsWith, EventRecorder } from "../_contract.ts";
import {
  ALICE,
  BOB,
  CAROL,
  HIKING,
  loginAlice,
  loginCarol,
  STRANGER,
  testNetwork,
} from "./_world.ts";

Deno.test("a rename reaches every member's sessions, the renaming one included", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const aliceEvents = new EventRecorder(alice);
  const carolEvents = new EventRecorder(carol);
  await alice.renameGroup(HIKING, "  Mountain club ");
  for (const events of [aliceEvents, carolEvents]) {
    const event = await events.next("thread_renamed");
    assert.equal(event.conversation.thread, HIKING);
    assert.equal(event.actor, ALICE);
    assert.equal(event.name, "Mountain club");
  }
  assert.equal((await carol.getThreadInfo(HIKING)).name, "Mountain club");
  await network.close();
});

Deno.test("adding a member tells everyone, the new member included", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  await network.control.inject(ALICE, {
    type: "participants_added",
    author: BOB,
    thread: HIKING,
    users: [STRANGER],
  });
  const event = await events.next("participants_added");
  assert.deepEqual(event.users, [{ id: STRANGER, name: "Stranger Danger" }]);
  assert.equal(event.actor, BOB);
  assert.ok((await alice.getThreadInfo(HIKING)).participants.includes(STRANGER));
  await assertRejectsWith(alice.addToGroup(HIKING, STRANGER), "bad_request");
  await assertRejectsWith(alice.addToGroup(HIKING, asUserId("777")), "not_found");
  await network.close();
});

Deno.test("an account added to a group can then write in it", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const carolEvents = new EventRecorder(carol);
  const echoChamber = asThreadId("900002");
  await assertRejectsWith(
    carol.sendMessage(echoChamber, { text: "hi" }, { isGroup: true }),
    "not_found",
  );
  await alice.addToGroup(echoChamber, CAROL);
  const added = await carolEvents.next("participants_added");
  assert.equal(added.conversation.thread, echoChamber);
  await carol.sendMessage(echoChamber, { text: "hi" }, { isGroup: true });
  await network.close();
});

Deno.test("removing a member tells the removed one too, who can no longer write", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const carolEvents = new EventRecorder(carol);
  await alice.removeFromGroup(HIKING, CAROL);
  const event = await carolEvents.next("participant_left");
  assert.deepEqual({ ...event, timestamp: 0 }, {
    type: "participant_left",
    conversation: { thread: HIKING, kind: "group" },
    actor: ALICE,
    user: CAROL,
    timestamp: 0,
    fromSelf: false,
  });
  await assertRejectsWith(
    carol.sendMessage(HIKING, { text: "hello?" }, { isGroup: true }),
    "not_found",
  );
  await assertRejectsWith(carol.getThreadInfo(HIKING), "not_found");
  await assertRejectsWith(alice.removeFromGroup(HIKING, CAROL), "bad_request");
  await network.close();
});

Deno.test("leaving a group is removing oneself, and the others are told", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const aliceEvents = new EventRecorder(alice);
  await carol.removeFromGroup(HIKING, CAROL);
  const event = await aliceEvents.next("participant_left");
  assert.equal(event.actor, CAROL);
  assert.equal(event.user, CAROL);
  assert.ok(!(await carol.getThreads(10)).some((thread) => thread.id === HIKING));
  await network.close();
});

Deno.test("creating a group needs two other known people and tells every member", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const carolEvents = new EventRecorder(carol);
  await assertRejectsWith(alice.createGroup([CAROL], "Too small"), "bad_request");
  await assertRejectsWith(alice.createGroup([CAROL, asUserId("999")], "Unknown"), "not_found");
  const thread = await alice.createGroup([CAROL, BOB, ALICE], "Picnic");
  assert.match(thread, /^[0-9]+$/);
  const event = await carolEvents.next("participants_added");
  assert.equal(event.conversation.thread, thread);
  assert.deepEqual(event.users.map((user) => user.id), [CAROL, BOB]);
  const info = await carol.getThreadInfo(thread);
  assert.equal(info.name, "Picnic");
  assert.equal(info.isGroup, true);
  assert.deepEqual(info.participants, [ALICE, CAROL, BOB]);
  const created = network.control.operations(ALICE).operations.at(-1);
  assert.equal(created?.method === "createGroup" && created.thread, thread);
  await network.close();
});

Deno.test("group operations on a 1:1 thread are bad_request", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  await assertRejectsWith(alice.renameGroup(asThreadId(BOB), "x"), "bad_request");
  await assertRejectsWith(alice.addToGroup(asThreadId(BOB), CAROL), "bad_request");
  await assertRejectsWith(alice.setGroupAdmin(asThreadId(BOB), BOB, true), "bad_request");
  await network.close();
});

Deno.test("a new group picture injected as bytes is served and announced", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  const [event] = await network.control.inject(ALICE, {
    type: "thread_image",
    author: BOB,
    thread: HIKING,
    image: { data: btoa("not really a png"), contentType: "image/png", filename: "g.png" },
  });
  assert.equal(event.type, "thread_image");
  if (event.type !== "thread_image" || event.url === undefined) throw new Error("no url");
  assert.deepEqual(await events.next("thread_image"), event);
  const response = await fetch(event.url);
  assert.equal(response.headers.get("content-type"), "image/png");
  assert.equal(await response.text(), "not really a png");
  assert.equal((await alice.getThreadInfo(HIKING)).imageUrl, event.url);
  await network.close();
});

Deno.test("only admins remove others; members add only friends; the admins are listed", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  // Alice lists Hiking club in the world file: she is its admin.
  assert.deepEqual((await carol.getThreadInfo(HIKING)).admins, [ALICE]);
  await assertRejectsWith(carol.removeFromGroup(HIKING, BOB), "bad_request", /admin/);
  await assertRejectsWith(
    alice.addToGroup(HIKING, STRANGER),
    "bad_request",
    /not your Messenger friend/,
  );
  await alice.removeFromGroup(HIKING, BOB);
  assert.ok(!(await alice.getThreadInfo(HIKING)).participants.includes(BOB));
  await carol.removeFromGroup(HIKING, CAROL); // leaving needs no admin
  const picnic = await carol.createGroup([ALICE, STRANGER], "Picnic");
  assert.deepEqual((await carol.getThreadInfo(picnic)).admins, [CAROL], "a creator is admin");
  await network.close();
});

Deno.test("an admin makes and unmakes admins, every member is told; nobody else may", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const aliceEvents = new EventRecorder(alice);
  const carolEvents = new EventRecorder(carol);
  /** `author` makes `user` an admin of Hiking club or no longer one, as `viewer` injects it. */
  const setAdmin = (author: UserId, user: UserId, admin: boolean, viewer = ALICE) =>
    network.control.inject(viewer, { type: "admins_changed", author, thread: HIKING, user, admin });
  // Alice, Hiking club's admin, makes Bob one from her phone: both accounts hear it.
  await setAdmin(ALICE, BOB, true);
  const promoted = await carolEvents.next("admins_changed");
  assert.deepEqual({ ...promoted, timestamp: 0 }, {
    type: "admins_changed",
    conversation: { thread: HIKING, kind: "group" },
    actor: ALICE,
    user: BOB,
    admin: true,
    timestamp: 0,
    fromSelf: false,
  });
  assert.equal((await aliceEvents.next("admins_changed")).fromSelf, true);
  assert.deepEqual((await carol.getThreadInfo(HIKING)).admins, [ALICE, BOB]);

  // Bob, now an admin, takes Alice's role away; Carol, a plain member, may do neither.
  await setAdmin(BOB, ALICE, false);
  const demoted = await aliceEvents.next("admins_changed", (event) => !event.admin);
  assert.equal(demoted.user, ALICE);
  assert.equal(demoted.actor, BOB);
  assert.deepEqual((await alice.getThreadInfo(HIKING)).admins, [BOB]);
  for (const admin of [true, false]) {
    await assertRejectsWith(
      setAdmin(CAROL, CAROL, admin, CAROL),
      "bad_request",
      /Only a group admin/,
    );
  }
  // What is so already, and someone outside the group, are refused too.
  await assertRejectsWith(setAdmin(BOB, BOB, true), "bad_request", /already an admin/);
  await assertRejectsWith(setAdmin(BOB, STRANGER, true), "bad_request", /not in the group/);
  assert.deepEqual((await alice.getThreadInfo(HIKING)).admins, [BOB]);
  await network.close();
});

Deno.test("setGroupAdmin follows the same rules; its own session hears it too, and the log has it", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const aliceEvents = new EventRecorder(alice);
  const carolEvents = new EventRecorder(carol);
  await alice.setGroupAdmin(HIKING, CAROL, true);
  for (const [events, fromSelf] of [[aliceEvents, true], [carolEvents, false]] as const) {
    const event = await events.next("admins_changed");
    assert.deepEqual({ ...event, timestamp: 0 }, {
      type: "admins_changed",
      conversation: { thread: HIKING, kind: "group" },
      actor: ALICE,
      user: CAROL,
      admin: true,
      timestamp: 0,
      fromSelf,
    });
  }
  assert.deepEqual((await carol.getThreadInfo(HIKING)).admins, [ALICE, CAROL]);
  // Carol, an admin now, takes Alice's role away; Alice may no longer make Bob one.
  await carol.setGroupAdmin(HIKING, ALICE, false);
  assert.equal((await aliceEvents.next("admins_changed", (event) => !event.admin)).user, ALICE);
  await assertRejectsWith(
    alice.setGroupAdmin(HIKING, BOB, true),
    "bad_request",
    /Only a group admin/,
  );
  await assertRejectsWith(
    carol.setGroupAdmin(HIKING, STRANGER, true),
    "bad_request",
    /not in the group/,
  );
  await assertRejectsWith(
    carol.setGroupAdmin(HIKING, CAROL, true),
    "bad_request",
    /already an admin/,
  );
  const logged = network.control.operations(ALICE).operations.filter((op) =>
    op.method === "setGroupAdmin"
  );
  assert.deepEqual(logged.map(({ seq: _seq, timestamp: _t, ...op }) => op), [
    { method: "setGroupAdmin", thread: HIKING, user: CAROL, admin: true, session: 1 },
    {
      method: "setGroupAdmin",
      thread: HIKING,
      user: BOB,
      admin: true,
      session: 1,
      error: "bad_request",
    },
  ]);
  await network.close();
});
