/**
 * Connected but silent (issue 10 §6): the Messenger session stays connected, its keepalives
 * fine, but no event arrives. The content watchdog notices that Messenger has messages the user
 * never got, restarts the listener and delivers them in order, none lost, none twice; when it
 * happens again the user is told once.
 */

import assert from "node:assert/strict";
import type { XmlElement } from "./_harness/client.ts";
import { registeredAlice } from "./_harness/registered_alice.ts";

Deno.test("a silent session is noticed and recovered: zero lost, zero duplicated", async () => {
  await using t = await registeredAlice({ config: { messenger: { watchdog_interval: 1 } } });
  const received: XmlElement[] = [];
  const bodies = () => received.map((s) => s.getChildText("body"));
  const collect = async (expected: string[]) => {
    for (const body of expected) {
      received.push(
        await t.alice.waitFor(
          (s) =>
            s.is("message") && s.attrs.from?.startsWith(t.bob) === true &&
            s.getChildText("body") === body,
          30_000,
          `"${body}" from Bob`,
        ),
      );
    }
  };

  let sent = 0;
  for (const round of [1, 2]) {
    await t.control.faults({ kind: "silent" });
    const texts = [`round ${round}: one`, `round ${round}: two`, `round ${round}: three`];
    for (const text of texts) {
      await t.control.inject({ type: "message", actor: "200002", text });
      sent++;
    }
    await collect(texts);
    const restarts = (await t.control.operations()).filter((op) => op.method === "restartListener");
    assert.equal(restarts.length, round, "the listener was restarted");
  }
  // Then messages flow live again.
  await t.control.inject({ type: "message", actor: "200002", text: "live again" });
  sent++;
  await collect(["live again"]);

  // A further check (a positive signal: it would redeliver anything it thought missing) and the
  // notice come after every delivery: any duplicate would have arrived by then.
  const checks = async () =>
    (await t.control.operations()).filter((op) => op.method === "getThreads").length;
  const before = await checks();
  const deadline = Date.now() + 15_000;
  while (await checks() < before + 2) {
    assert.ok(Date.now() < deadline, "no further content check");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const notice = await t.alice.waitFor(
    (s) =>
      s.is("message") && s.attrs.from === t.gw &&
      /more than once/.test(s.getChildText("body") ?? ""),
    15_000,
    "the notice that it keeps happening",
  );
  assert.ok(notice);
  const duplicates = t.alice.pending().filter((s) =>
    s.is("message") && s.attrs.from?.startsWith(t.bob) && s.getChild("body")
  );
  const delivered = received.length;
  console.log(
    `silent session: sent ${sent}, delivered ${delivered}, lost ${sent - delivered}, ` +
      `duplicated ${duplicates.length}`,
  );
  assert.equal(delivered, sent);
  assert.equal(duplicates.length, 0);
  assert.deepEqual(bodies(), [
    "round 1: one",
    "round 1: two",
    "round 1: three",
    "round 2: one",
    "round 2: two",
    "round 2: three",
    "live again",
  ]);
});
