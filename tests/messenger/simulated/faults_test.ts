import assert from "node:assert/strict";
import type { ConnectionState } from "../../../src/messenger/connection_state.ts";
import type { Fault } from "../../../src/messenger/simulated/mod.ts";
import { assertRejectsWith, EventRecorder } from "../_contract.ts";
import { ALICE, BOB, BOB_THREAD, loginAlice, testNetwork } from "./_world.ts";

const hi = { text: "hi" };
const direct = { isGroup: false };

Deno.test("a fail fault makes the next N matching calls reject with its code, then calls work", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  network.control.addFaults(ALICE, {
    kind: "fail",
    method: "sendMessage",
    code: "rate_limited",
    times: 2,
  });
  await alice.markRead(BOB_THREAD);
  await assertRejectsWith(alice.sendMessage(BOB_THREAD, hi, direct), "rate_limited");
  await assertRejectsWith(alice.sendMessage(BOB_THREAD, hi, direct), "rate_limited");
  await alice.sendMessage(BOB_THREAD, hi, direct);
  const sends = network.control.operations(ALICE).operations.filter((op) =>
    op.method === "sendMessage"
  );
  assert.deepEqual(sends.map((op) => op.error ?? "ok"), ["rate_limited", "rate_limited", "ok"]);
  await network.close();
});

Deno.test("a fault on every method hits whatever is called next", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  network.control.addFaults(ALICE, { kind: "fail", method: "*", code: "internal" });
  await assertRejectsWith(alice.getFriends(), "internal");
  await alice.getFriends();
  await network.close();
});

Deno.test("pending faults are listed and can be cleared", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const pending = network.control.addFaults(ALICE, [
    { kind: "latency", method: "react", ms: 5 },
    { kind: "hang", method: "unsend" },
  ]);
  assert.deepEqual(pending, [
    { kind: "latency", method: "react", ms: 5, remaining: null },
    { kind: "hang", method: "unsend", remaining: 1 },
  ]);
  network.control.clearFaults(ALICE);
  assert.deepEqual(network.control.faults(ALICE), []);
  await alice.sendMessage(BOB_THREAD, hi, direct);
  await network.close();
});

Deno.test("a latency fault delays calls until cleared", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  network.control.addFaults(ALICE, { kind: "latency", method: "sendMessage", ms: 60 });
  for (let i = 0; i < 2; i++) {
    const started = performance.now();
    await alice.sendMessage(BOB_THREAD, hi, direct);
    assert.ok(performance.now() - started >= 55);
  }
  network.control.clearFaults(ALICE);
  const started = performance.now();
  await alice.sendMessage(BOB_THREAD, hi, direct);
  assert.ok(performance.now() - started < 55);
  await network.close();
});

Deno.test("a hang fault makes the call time out after callTimeoutMs", async () => {
  const network = testNetwork({ callTimeoutMs: 30 });
  const alice = await loginAlice(network);
  network.control.addFaults(ALICE, { kind: "hang", method: "getThreads" });
  await assertRejectsWith(alice.getThreads(5), "timeout");
  await network.close();
});

Deno.test("a dropped connection goes transient_disconnect, then connected, and held events follow", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  await network.control.idle();
  // Long enough that the checks below run before the reconnection on a loaded machine.
  network.control.addFaults(ALICE, { kind: "drop_connection", downMs: 300 });
  assert.equal(alice.state.status, "transient_disconnect");
  await assertRejectsWith(alice.sendMessage(BOB_THREAD, hi, direct), "network");
  await network.control.inject(ALICE, { type: "message", sender: BOB, text: "while down" });
  assert.equal(alice.state.status, "transient_disconnect", "inject does not wait for reconnection");
  assert.equal(events.ofType("message").length, 0);
  await network.control.idle();
  assert.equal(alice.state.status, "connected");
  const states = events.ofType("connection").map((event) => event.state.status);
  assert.deepEqual(states, ["connected", "transient_disconnect", "connected"]);
  const order = events.events.map((event) => event.type);
  assert.deepEqual(order, ["connection", "connection", "connection", "message"]);
  const down = events.ofType("connection")[1].state as Extract<
    ConnectionState,
    { status: "transient_disconnect" }
  >;
  assert.equal(down.reason, "network");
  assert.equal(down.retryInMs, 300);
  await alice.sendMessage(BOB_THREAD, hi, direct);
  await network.close();
});

Deno.test("with loseEvents, what happens while disconnected never arrives", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  network.control.addFaults(ALICE, { kind: "drop_connection", downMs: 10, loseEvents: true });
  await network.control.inject(ALICE, { type: "message", sender: BOB, text: "lost" });
  await network.control.idle();
  assert.equal(events.ofType("message").length, 0);
  assert.equal(alice.state.status, "connected");
  await network.close();
});

Deno.test("an expired session goes bad_credentials and refuses calls with not_logged_in", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  network.control.addFaults(ALICE, { kind: "expire_session" });
  const event = await events.next("connection", (e) => e.state.status === "bad_credentials");
  assert.deepEqual(event.state, {
    status: "bad_credentials",
    reason: "session_expired",
    message: "The Messenger session expired: log in again",
  });
  await assertRejectsWith(alice.sendMessage(BOB_THREAD, hi, direct), "not_logged_in");
  await network.control.inject(ALICE, { type: "message", sender: BOB, text: "unseen" });
  assert.equal(events.ofType("message").length, 0);
  assert.deepEqual(network.control.accounts()[0].sessions, []);
  const again = await loginAlice(network);
  assert.equal(again.state.status, "connected");
  await network.close();
});

Deno.test("invalid faults are bad_request naming the field", async () => {
  const network = testNetwork();
  for (
    const [fault, text] of [
      [{ kind: "fail", method: "send", code: "network" }, "method must be one of"],
      [{ kind: "fail", method: "react", code: "oops" }, "code must be one of"],
      [{ kind: "latency", method: "react" }, "ms is missing"],
      [{ kind: "hang", method: "react", times: 0 }, "times must be at least 1"],
      [{ kind: "drop_connection", down: 5 }, "down is not a known field"],
    ] as const
  ) {
    assert.throws(
      // Deliberately wrong input, as JSON from outside could be.
      () => network.control.addFaults(ALICE, fault as unknown as Fault),
      (error: Error) => error.message.includes(text),
    );
  }
  await network.close();
});

Deno.test("a silent session stays connected but loses events; restartListener ends it", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  await network.control.idle();
  network.control.addFaults(ALICE, { kind: "silent" });
  await network.control.inject(ALICE, { type: "message", sender: BOB, text: "lost in silence" });
  await network.control.idle();
  assert.equal(events.ofType("message").length, 0);
  assert.equal(alice.state.status, "connected", "it looks healthy");
  await alice.sendMessage(BOB_THREAD, hi, direct); // Calls still work.
  // What a watchdog compares: Messenger has the message, the listener never brought it.
  const thread = (await alice.getThreads(10)).find((entry) => entry.id === BOB_THREAD);
  assert.equal(thread?.lastMessage?.snippet, "hi");
  const history = await alice.getHistory(BOB_THREAD, 2);
  assert.deepEqual(history.map((message) => message.text), ["lost in silence", "hi"]);
  await alice.restartListener();
  await network.control.inject(ALICE, { type: "message", sender: BOB, text: "heard again" });
  const message = await events.next("message");
  assert.equal(message.text, "heard again", "the lost one was not replayed");
  await network.close();
});
