import assert from "node:assert/strict";
import { assertRejectsWith, EventRecorder } from "../_contract.ts";
import { ALICE, BOB, BOB_THREAD, loginAlice, testNetwork } from "./_world.ts";

Deno.test("disconnect ends the session: state logged_out, calls reject with disconnected", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  await alice.disconnect();
  assert.deepEqual(alice.state, {
    status: "logged_out",
    reason: "user_logout",
    message: "Logged out",
  });
  await assertRejectsWith(alice.getFriends(), "disconnected");
  await assertRejectsWith(alice.listen(), "disconnected");
  await assertRejectsWith(alice.exportCookies(), "disconnected");
  await network.close();
});

Deno.test("disconnect rejects a call that is still waiting with disconnected", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  network.control.addFaults(ALICE, { kind: "latency", method: "sendMessage", ms: 5_000 });
  const pending = alice.sendMessage(BOB_THREAD, { text: "slow" }, { isGroup: false });
  await alice.disconnect();
  await assertRejectsWith(pending, "disconnected");
  await network.close();
});

Deno.test("events queued before disconnect are dropped", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  await network.control.idle();
  const injecting = network.control.inject(ALICE, { type: "message", sender: BOB, text: "x" });
  await alice.disconnect();
  await injecting;
  assert.equal(events.ofType("message").length, 0);
  await network.close();
});

Deno.test("closing the network disconnects every session and stops its servers", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const url = network.startControlServer({ hostname: "127.0.0.1", port: 0 });
  await network.close();
  assert.equal(alice.state.status, "logged_out");
  await assert.rejects(fetch(`${url}/accounts`));
  await network.close();
});

Deno.test("the operation log records listen and disconnect", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  await alice.disconnect();
  assert.deepEqual(
    network.control.operations(ALICE).operations.map((operation) => operation.method),
    ["login", "listen", "disconnect"],
  );
  await network.close();
});
