import assert from "node:assert/strict";
import type { Injection } from "../../../src/messenger/simulated/mod.ts";
import { parseInjection } from "../../../src/messenger/simulated/injection.ts";
import { assertRejectsWith, EventRecorder } from "../_contract.ts";
import {
  ALICE,
  BOB,
  BOB_THREAD,
  CAROL,
  HIKING,
  loginAlice,
  STRANGER,
  testNetwork,
} from "./_world.ts";

Deno.test("an injected group message and a reply to it carry the group and the quoted message", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  const [question] = await network.control.inject(ALICE, {
    type: "message",
    sender: BOB,
    thread: HIKING,
    text: "Who brings the map?",
  });
  if (question.type !== "message") throw new Error("expected a message");
  await network.control.inject(ALICE, {
    type: "message",
    sender: CAROL,
    thread: HIKING,
    text: "Me",
    replyTo: question.id,
    isGroup: true,
  });
  const [first, reply] = events.ofType("message");
  assert.equal(first.conversation.kind, "group");
  assert.equal(first.conversation.thread, HIKING);
  assert.deepEqual(reply.replyTo, { id: question.id, actor: BOB, text: "Who brings the map?" });
  await network.close();
});

Deno.test("isGroup and fromSelf given in an injection must agree with the network", async () => {
  const network = testNetwork();
  await assertRejectsWith(
    network.control.inject(ALICE, { type: "message", sender: BOB, text: "x", isGroup: true }),
    "bad_request",
  );
  await assertRejectsWith(
    network.control.inject(ALICE, { type: "message", sender: BOB, text: "x", fromSelf: true }),
    "bad_request",
  );
  await network.close();
});

Deno.test("an actor who is not in the thread cannot act in it", async () => {
  const network = testNetwork();
  await assertRejectsWith(
    network.control.inject(ALICE, {
      type: "message",
      sender: STRANGER,
      thread: HIKING,
      text: "let me in",
    }),
    "bad_request",
  );
  await network.close();
});

Deno.test("participant_left without user means the author left", async () => {
  const network = testNetwork();
  const [event] = await network.control.inject(ALICE, {
    type: "participant_left",
    author: BOB,
    thread: HIKING,
  });
  assert.equal(event.type === "participant_left" && event.user, BOB);
  await network.close();
});

Deno.test("a batch stops at the first invalid injection and says which one", async () => {
  const network = testNetwork();
  await assert.rejects(
    network.control.inject(ALICE, [
      { type: "message", sender: BOB, text: "kept" },
      { type: "reaction", reactor: BOB, messageId: "mid.$none", reaction: "👍" },
    ]),
    /^MessengerError: events\[1\]: No message mid\.\$none$/,
  );
  assert.equal(
    network.control.threads(ALICE).find((thread) => thread.id === BOB_THREAD)?.unreadCount,
    1,
  );
  await network.close();
});

Deno.test("a chosen message id must be new", async () => {
  const network = testNetwork();
  const message: Injection = { type: "message", sender: BOB, text: "x", id: "mid.$fixed" };
  await network.control.inject(ALICE, message);
  await assertRejectsWith(network.control.inject(ALICE, message), "bad_request");
  await network.close();
});

Deno.test("a handler that throws does not stop the others or later events", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  alice.onEvent(() => {
    throw new Error("handler bug");
  });
  const events = new EventRecorder(alice);
  await network.control.inject(ALICE, [
    { type: "message", sender: BOB, text: "1" },
    { type: "message", sender: BOB, text: "2" },
  ]);
  assert.deepEqual(events.ofType("message").map((event) => event.text), ["1", "2"]);
  await network.close();
});

Deno.test("injections name the one who acts `actor`, like events; older names still work", () => {
  assert.deepEqual(parseInjection({ type: "typing", actor: BOB }, "e"), {
    type: "typing",
    user: BOB,
  });
  assert.deepEqual(
    parseInjection({ type: "reaction", actor: BOB, messageId: "m", reaction: "" }, "e"),
    {
      type: "reaction",
      reactor: BOB,
      messageId: "m",
      reaction: "",
    },
  );
  assert.equal(parseInjection({ type: "unsend", sender: BOB, messageId: "m" }, "e").type, "unsend");
  assert.deepEqual(
    parseInjection(
      { type: "admins_changed", actor: ALICE, thread: HIKING, user: BOB, admin: true },
      "e",
    ),
    { type: "admins_changed", author: ALICE, thread: HIKING, user: BOB, admin: true },
  );
  assert.throws(
    () => parseInjection({ type: "admins_changed", actor: ALICE, thread: HIKING, user: BOB }, "e"),
    /e\.admin/,
  );
  assert.throws(
    () => parseInjection({ type: "typing", actor: BOB, user: BOB }, "e"),
    /e\.actor and user name the same person/,
  );
  assert.throws(
    () => parseInjection({ type: "reaction", messageId: "m", reaction: "" }, "e"),
    /e\.actor is required/,
  );
});
