/**
 * What the gateway acknowledged outlives a kill -9. The store batches its writes (one commit for
 * many messages), so the acknowledgements wait for the commit: a delivery receipt goes out only
 * once the message's records — and everything recorded before them — are stored. After a SIGKILL
 * right after the receipt and a restart on the same store, a Messenger redelivery of a message
 * shown before the crash is not shown again, and reactions to messages of both directions from
 * before the crash still reach the right Messenger messages.
 */

import assert from "node:assert/strict";
import { connectClient, xml } from "./_harness/client.ts";
import { startGateway } from "./_harness/gateway.ts";
import { startProsody } from "./_harness/prosody.ts";
import {
  AccountControl,
  aliceWorld,
  bodyFrom,
  chat,
  connectedPresence,
  fromContact,
} from "./_harness/registered_alice.ts";
import { seededKv } from "./_harness/seeded_user.ts";

const NS_RECEIPTS = "urn:xmpp:receipts";
const NS_REACTIONS = "urn:xmpp:reactions:0";

function reaction(to: string, id: string, target: string, emoji: string) {
  return xml(
    "message",
    { type: "chat", to, id },
    xml("reactions", { xmlns: NS_REACTIONS, id: target }, xml("reaction", {}, emoji)),
  );
}

Deno.test("after a kill -9 right after a receipt, ids still map and a redelivery is not shown twice", async () => {
  await using server = await startProsody();
  await server.register("alice", "alicepw");
  await using kv = await seededKv();
  const gw = server.componentDomain;
  const bob = `200002@${gw}`;
  const options = {
    world: aliceWorld(),
    config: { gateway: { data: kv.path }, simulated: { control: "127.0.0.1:0" } },
  };

  await using first = await startGateway(server, options);
  await using alice = await connectClient(server, "alice", "alicepw");
  await connectedPresence(alice, gw);
  const before = new AccountControl(await first.controlUrl());

  // Bob writes; Alice's client shows it (its stanza id is the Messenger id).
  const bobs = { type: "message", actor: "200002", text: "Before the crash", id: "mid.$crash1" };
  const timestamp = Date.now() - 1000;
  await before.inject({ ...bobs, timestamp });
  assert.equal((await bodyFrom(alice, bob, "Before the crash")).attrs.id, "mid.$crash1");

  // Alice answers and asks for a receipt: the gateway's acknowledgement of her message.
  await alice.send(
    chat(bob, "alice-1", "Answer before the crash", xml("request", { xmlns: NS_RECEIPTS })),
  );
  await alice.waitFor(
    fromContact(bob, (s) => s.getChild("received", NS_RECEIPTS)?.attrs.id === "alice-1"),
    10_000,
    "the receipt of alice-1",
  );
  const answered = await before.waitOperation(
    "Alice's answer",
    (op) => op.method === "sendMessage" && op.text === "Answer before the crash",
  );

  // Killed at once: nothing gets a chance to flush. (What the first gateway said is dropped, so
  // that "Connected" below is the second one's.)
  await first.stop("SIGKILL");
  alice.clearPending();

  await using _second = await startGateway(server, options);
  await connectedPresence(alice, gw);
  const after = new AccountControl(await _second.controlUrl());

  // Messenger delivers Bob's message again (same id, same time), then a new one: only the new
  // one is shown, and it comes after the redelivery in the conversation's order.
  await after.inject({ ...bobs, timestamp });
  await after.inject({ type: "message", actor: "200002", text: "After the crash" });
  await bodyFrom(alice, bob, "After the crash");
  assert.deepEqual(
    alice.pending().filter((s) => s.getChildText("body") === "Before the crash").map(String),
    [],
    "the redelivery was not shown again",
  );

  // Reactions to both messages from before the crash reach their Messenger ids.
  await alice.send(reaction(bob, "alice-2", "mid.$crash1", "👍"));
  const toBobs = await after.waitOperation("reaction to Bob's", (op) => op.method === "react");
  assert.equal(toBobs.messageId, "mid.$crash1");
  await alice.send(reaction(bob, "alice-3", "alice-1", "🎉"));
  const toOwn = await after.waitOperation(
    "reaction to Alice's own",
    (op) => op.method === "react" && op.reaction === "🎉",
  );
  assert.equal(toOwn.messageId, answered.messageId);
});
