/**
 * The content watchdog on the simulated network, one check at a time: nothing to do while
 * messages flow; after a silent failure it finds what Messenger has and the user never got —
 * 1:1 and group messages alike, each in its own kind of conversation — restarts the listener and
 * delivers them once.
 */
import assert from "node:assert/strict";
import type { Chat, ChatMessage, Speaker } from "../../src/gateway/xmpp_port.ts";
import { ALICE, ALICE_AND_BOB_WORLD, aliceCore } from "./_core.ts";
import { NullXmppPort } from "./_null_port.ts";
import { waitUntil } from "../_wait.ts";
import { getWatchdogMark } from "../../src/store/watchdog_mark.ts";
import { parseWorld, SimulatedNetwork } from "../../src/messenger/simulated/mod.ts";

const WORLD = `${ALICE_AND_BOB_WORLD}  [[account.group]]
  id = "900001"
  name = "Hiking club"
  members = ["200002"]
`;

class Shown extends NullXmppPort {
  readonly shown: { kind: string; text: string }[] = [];
  override message(chat: Chat, _speaker: Speaker, message: ChatMessage): Promise<string[]> {
    this.shown.push({ kind: chat.conversation.kind, text: message.text });
    return Promise.resolve([message.id]);
  }
}

Deno.test("the watchdog finds what a silent listener lost, restarts it and delivers each once", async () => {
  const port = new Shown();
  await using core = await aliceCore(port, {
    world: WORLD,
    deps: { tuning: { watchdogGraceMs: 0 } },
  });
  const { network, session } = core;
  // Messages flow: nothing is missing.
  await network.control.inject("100001", { type: "message", sender: "200002", text: "live" });
  await waitUntil(() => port.shown.length === 1);
  assert.deepEqual(await session.checkContent(), { missing: 0, restarted: false });

  network.control.addFaults("100001", { kind: "silent" });
  // Stamped just before now: the watchdog judges messages once their time has passed.
  const now = Date.now();
  await network.control.inject("100001", {
    type: "message",
    sender: "200002",
    text: "lost 1",
    timestamp: now - 200,
  });
  await network.control.inject("100001", {
    type: "message",
    sender: "200002",
    thread: "900001",
    text: "lost in the group",
    timestamp: now - 100,
  });
  assert.equal(port.shown.length, 1, "the silent listener brought nothing");
  const outcome = await session.checkContent();
  assert.deepEqual(outcome, { missing: 2, restarted: true });
  await waitUntil(() => port.shown.length === 3, "the missed messages");
  assert.deepEqual(port.shown.slice(1), [
    { kind: "direct", text: "lost 1" },
    { kind: "group", text: "lost in the group" },
  ]);
  // A second check finds nothing more, and shows nothing twice.
  await session.checkContent();
  await core.settled(ALICE, "200002");
  assert.equal(port.shown.length, 3);
  assert.ok(
    network.control.operations("100001").operations.some((op) => op.method === "restartListener"),
  );
});

Deno.test("a message received or handed back, still waiting in its queue, is not taken for missing", async () => {
  /** Holds every message until the gate opens: the conversation's queue stays busy. */
  class Slow extends Shown {
    readonly gate = Promise.withResolvers<void>();
    waiting = 0;
    override async message(chat: Chat, speaker: Speaker, message: ChatMessage) {
      this.waiting++;
      await this.gate.promise;
      return super.message(chat, speaker, message);
    }
  }
  const port = new Slow();
  await using core = await aliceCore(port, {
    world: WORLD,
    deps: { tuning: { watchdogGraceMs: 0 } },
  });
  const { network, session } = core;
  await session.checkContent();
  // A live message whose showing hangs: the conversation's queue is busy with it.
  await network.control.inject("100001", { type: "message", sender: "200002", text: "live" });
  await waitUntil(() => port.waiting === 1, "the live message being shown");
  // Another live one waits behind it, received but not shown yet: not missing.
  await network.control.inject("100001", {
    type: "message",
    sender: "200002",
    text: "queued",
    timestamp: Date.now() - 100,
  });
  assert.deepEqual(await session.checkContent(), { missing: 0, restarted: false });
  network.control.addFaults("100001", { kind: "silent" });
  await network.control.inject("100001", {
    type: "message",
    sender: "200002",
    text: "slow to show",
    timestamp: Date.now() - 100,
  });
  assert.deepEqual(await session.checkContent(), { missing: 1, restarted: true });
  // Handed to delivery, waiting behind the live one: the next check finds nothing missing and
  // restarts nothing.
  assert.deepEqual(await session.checkContent(), { missing: 0, restarted: false });
  port.gate.resolve();
  await waitUntil(() => port.shown.length === 3, "the three messages");
  await session.checkContent();
  await core.settled(ALICE, "200002");
  assert.deepEqual(port.shown.map((shown) => shown.text), ["live", "queued", "slow to show"]);
  const restarts = network.control.operations("100001").operations
    .filter((op) => op.method === "restartListener").length;
  assert.equal(restarts, 1);
});

Deno.test("a busy group's stall longer than one history page is caught up whole, in order", async () => {
  const port = new Shown();
  await using core = await aliceCore(port, {
    world: WORLD,
    deps: { tuning: { watchdogGraceMs: 0 } },
  });
  const { network, session } = core;
  await session.checkContent(); // the window starts here
  network.control.addFaults("100001", { kind: "silent" });
  // 45 messages: more than two pages of the watchdog's history reads (20 each).
  // Stamped after the first check's end (not before it: that was its window) and before now.
  const start = Date.now() - 100;
  const texts = Array.from({ length: 45 }, (_, i) => `group message ${i + 1}`);
  for (const [i, text] of texts.entries()) {
    await network.control.inject("100001", {
      type: "message",
      sender: "200002",
      thread: "900001",
      text,
      timestamp: start + i,
    });
  }
  assert.deepEqual(await session.checkContent(), { missing: 45, restarted: true });
  await waitUntil(() => port.shown.length === 45, "every missed group message");
  assert.deepEqual(port.shown.map((shown) => shown.text), texts);
  const reads = network.control.operations("100001").operations
    .filter((op) => op.method === "getHistory").length;
  assert.ok(reads >= 3, `${reads} history reads`);
  await session.checkContent();
  await core.settled(ALICE, "200002");
  assert.equal(port.shown.length, 45, "nothing shown twice");
});

Deno.test("what arrived while the gateway was down is delivered after the restart, in order", async () => {
  const kv = await Deno.openKv(":memory:");
  const network = new SimulatedNetwork(parseWorld(WORLD, "<inline>"));
  try {
    const tuning = { deps: { tuning: { watchdogGraceMs: 0 } }, kv, network } as const;
    {
      const port = new Shown();
      await using core = await aliceCore(port, { world: WORLD, ...tuning });
      await core.session.checkContent(); // the last check before going down: its mark is kept
    }
    // The gateway is down: Bob writes anyway, right after the last check.
    const down = Date.now();
    for (const [i, text] of ["while down 1", "while down 2"].entries()) {
      await network.control.inject("100001", {
        type: "message",
        sender: "200002",
        text,
        timestamp: down + i,
      });
    }
    // Long enough that a window starting at the new login (minus its overlap) would miss them.
    await waitUntil(() => Date.now() > down + 1500, "the clock to move past the overlap", 5000);
    const port = new Shown();
    await using core = await aliceCore(port, { world: WORLD, ...tuning });
    const outcome = await core.session.checkContent();
    assert.equal(outcome.missing, 2);
    await waitUntil(() => port.shown.length === 2, "the messages that came while down");
    assert.deepEqual(port.shown.map((shown) => shown.text), ["while down 1", "while down 2"]);
  } finally {
    await network.close();
    kv.close();
  }
});

Deno.test("a gateway stopped before its first check still catches up: the start is the window", async () => {
  const kv = await Deno.openKv(":memory:");
  const network = new SimulatedNetwork(parseWorld(WORLD, "<inline>"));
  try {
    const deps = { tuning: { watchdogGraceMs: 0 } };
    const firstRun = Date.now();
    {
      // Checks an hour apart: this run is "killed" long before its first one.
      await using core = await aliceCore(new Shown(), {
        world: WORLD,
        deps,
        kv,
        network,
        config: (config) => (config.messenger.watchdogInterval = 3600),
      });
      let mark: number | undefined;
      for (const deadline = Date.now() + 10_000; mark === undefined;) {
        if (Date.now() > deadline) throw new Error("the first run's start was never stored");
        mark = await getWatchdogMark(kv, ALICE);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      assert.ok(mark >= firstRun, "the mark is this run's start");
      assert.equal(core.session.state.status, "connected");
    }
    const down = Date.now();
    await network.control.inject("100001", {
      type: "message",
      sender: "200002",
      text: "while down",
      timestamp: down,
    });
    await waitUntil(() => Date.now() > down + 1500, "the clock to move past the overlap", 5000);
    const port = new Shown();
    await using core = await aliceCore(port, { world: WORLD, deps, kv, network });
    const outcome = await core.session.checkContent();
    assert.equal(outcome.missing, 1);
    await waitUntil(() => port.shown.length === 1, "the message that came while down");
    assert.equal(port.shown[0].text, "while down");
  } finally {
    await network.close();
    kv.close();
  }
});
