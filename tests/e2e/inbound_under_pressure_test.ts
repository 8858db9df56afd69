/**
 * Issue 12, fault 1, through a real Prosody: Messenger is slow (its first send takes 3 s), Alice
 * writes 300 messages to Bob at once, filling what her conversation with Bob may hold of her
 * messages (256); the rest come back as errors. Bob writes meanwhile: his message reaches Alice
 * all the same. Counts printed: sent, delivered, refused with an error, lost, duplicated.
 */
import assert from "node:assert/strict";
import type { XmlElement } from "./_harness/client.ts";
import { bodyFrom, chat, registeredAlice } from "./_harness/registered_alice.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const SENT = 300;

Deno.test({
  name: "a friend's message reaches the user while their own messages fill the conversation",
  ...e2e,
  async fn() {
    // No rate limit: this is about the conversation's bound, not the per-user limit.
    await using t = await registeredAlice({ config: { messages: { rate_limit: 0 } } });
    const { alice, bob, control } = t;
    await control.faults({ kind: "latency", method: "sendMessage", ms: 3000, times: 1 });
    alice.clearPending();
    await Promise.all(
      Array.from({ length: SENT }, (_, i) => alice.send(chat(bob, `out-${i + 1}`, `out ${i + 1}`))),
    );
    // The first refusal says the conversation is full: Bob writes now.
    const isRefusal = (s: XmlElement) =>
      s.is("message") && s.attrs.type === "error" && (s.attrs.id?.startsWith("out-") ?? false);
    const first = await alice.waitFor(isRefusal, 15_000, "the first refusal");
    await control.inject({ type: "message", sender: "200002", text: "are you there?" });
    const answer = await bodyFrom(alice, bob, "are you there?").catch(() => undefined);

    // Every message of Alice's either reached Messenger or came back with an error.
    const deadline = Date.now() + 30_000;
    let sends: string[] = [];
    let refusals: XmlElement[] = [];
    while (Date.now() < deadline) {
      sends = (await control.operations()).flatMap((op) =>
        op.method === "sendMessage" && op.text?.startsWith("out ") ? [op.text] : []
      );
      refusals = [first, ...alice.pending().filter(isRefusal)];
      if (new Set(sends).size + refusals.length >= SENT) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const delivered = new Set(sends).size;
    const refusedIds = new Set(refusals.map((s) => s.attrs.id));
    const lost = SENT - delivered - refusedIds.size;
    const duplicated = sends.length - delivered + refusals.length - refusedIds.size;
    console.log(
      `inbound under outbound pressure: Alice sent ${SENT}, delivered ${delivered}, refused with ` +
        `an error ${refusedIds.size}, lost ${lost}, duplicated ${duplicated}; Bob sent 1, ` +
        `delivered ${answer ? 1 : 0}`,
    );
    assert.ok(answer, "Bob's message was lost");
    assert.equal(lost, 0);
    assert.equal(duplicated, 0);
    assert.ok(refusedIds.size > 0, "nothing was refused: the conversation never filled");
    const conditions = new Set(
      refusals.map((s) => s.getChild("error")?.getChildElements()[0]?.name),
    );
    assert.deepEqual([...conditions], ["service-unavailable"]);
    assert.match(refusals[0].getChild("error")?.getChildText("text") ?? "", /Too many messages/);
  },
});
