/**
 * The component stream under trouble, through a real Prosody:
 * - its TCP connection cut mid-burst by a dying network path (a proxy that swallows what the
 *   gateway writes, then closes): every message of the burst still reaches the user, in order,
 *   and what arrives twice carries the same id (clients drop it);
 * - a user's very large stanza: the gateway's error reply stays small, so Prosody never closes
 *   the component's stream over it, and another user's messages keep flowing.
 *
 * Each test prints its counts: sent, delivered, lost, duplicated.
 */
import assert from "node:assert/strict";
import { connectClient, xml, type XmlElement } from "./_harness/client.ts";
import { aliceWorld, chat, fromContact, registeredAlice } from "./_harness/registered_alice.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

async function eventually(what: string, check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Friends 300001… of Alice's world, one conversation each (a conversation queues at most 256). */
const BURST_FRIENDS = Array.from({ length: 5 }, (_, i) => String(300001 + i));
const PER_FRIEND = 200;

Deno.test({
  name: "the component connection cut mid-burst: every message reaches the user, once per id",
  ...e2e,
  async fn() {
    const BURST = BURST_FRIENDS.length * PER_FRIEND;
    await using t = await registeredAlice({
      viaProxy: true,
      world: aliceWorld(
        BURST_FRIENDS.map((id) => `[[account.friend]]\nid = "${id}"\nname = "Friend ${id}"\n`)
          .join("\n"),
      ),
    });
    const { alice, gw, control, gateway, proxy } = t;
    alice.clearPending();
    const onlineLines = () => gateway.lines().filter((l) => /Component online/.test(l)).length;
    const onlineBefore = onlineLines();
    const fromFriends = (s: XmlElement) =>
      s.is("message") && BURST_FRIENDS.some((id) => s.attrs.from?.startsWith(`${id}@${gw}`)) &&
      (s.getChildText("body")?.startsWith("burst ") ?? false);

    // Cut right after the 100th message went through towards Prosody: the next 50 messages the
    // gateway writes are lost on the way, and then the connection closes.
    const cut = proxy!.cutAfter(">burst 100<", { pattern: />burst \d+</, count: 50 });
    await Promise.all(BURST_FRIENDS.map((sender, f) =>
      control.inject(
        Array.from({ length: PER_FRIEND }, (_, i) => ({
          type: "message",
          sender,
          text: `burst ${i * BURST_FRIENDS.length + f + 1}`,
        })),
      )
    ));
    await cut;
    await eventually("the gateway back online", () => onlineLines() > onlineBefore, 30_000);
    const distinct = () => new Set(alice.pending().filter(fromFriends).map((s) => s.attrs.id)).size;
    await eventually(`all ${BURST} messages`, () => distinct() === BURST, 30_000).catch(() => {});
    // A last message in each conversation: anything re-sent for the burst arrived before it.
    for (const sender of BURST_FRIENDS) {
      await control.inject({ type: "message", sender, text: "after the burst" });
      await alice.waitFor(
        fromContact(`${sender}@${gw}`, (s) => s.getChildText("body") === "after the burst"),
        30_000,
        `the message after the burst from ${sender}`,
      );
    }

    const received = alice.pending().filter(fromFriends);
    const byId = new Map<string, XmlElement>();
    for (const stanza of received) byId.set(stanza.attrs.id!, stanza);
    const bodies = [...byId.values()].map((s) => s.getChildText("body")!);
    const lost = BURST - new Set(bodies).size;
    const copies = received.length - byId.size;
    const duplicated = bodies.length - new Set(bodies).size; // one text under two ids
    console.log(
      `component connection cut mid-burst: sent ${BURST}, delivered ${byId.size}, lost ${lost}, ` +
        `duplicated ${duplicated} (re-sent copies with the same id, dropped by clients: ${copies})`,
    );
    assert.ok(proxy!.connections() >= 2, "the gateway reconnected through the proxy");
    assert.equal(lost, 0, `lost messages; gateway log:\n${gateway.output().slice(-3000)}`);
    assert.equal(duplicated, 0);
    assert.match(gateway.output(), /Re-sent \d+ stanzas the XMPP server had not confirmed/);
    // Each conversation in the order its friend wrote, counting each id once.
    for (const sender of BURST_FRIENDS) {
      const order = [...byId.values()]
        .filter((s) => s.attrs.from?.startsWith(`${sender}@`))
        .map((s) => Number(s.getChildText("body")!.slice("burst ".length)));
      assert.deepEqual(order, order.toSorted((a, b) => a - b), `order kept for ${sender}`);
    }
  },
});

Deno.test({
  name: "a user's very large stanza does not cost the gateway its stream or others their messages",
  ...e2e,
  async fn() {
    const ECHOES = 40;
    await using t = await registeredAlice();
    const { server, alice, echo, gw, gateway } = t;
    await server.register("mallory", "mallorypw");
    await using mallory = await connectClient(server, "mallory", "mallorypw");

    // Quotes left raw inside an attribute by the client take 6 bytes each once escaped: an error
    // reply copying them would be ~1.2 MB, past Prosody's 512 KiB limit for components.
    const quotes = "'".repeat(200_000);
    const bigIq = `<iq type="get" to="${gw}" id="huge-iq">` +
      `<query xmlns="urn:example:nothing" junk="${quotes}"/></iq>`;
    const bigMessage = xml(
      "message",
      { type: "chat", to: echo, id: "huge-m" },
      xml("body", {}, quotes),
    );
    alice.clearPending();
    const sending = (async () => {
      for (let n = 1; n <= ECHOES; n++) {
        await alice.send(chat(echo, `echo-${n}`, `echo me ${n}`));
        if (n === 5) {
          await mallory.sendRaw(bigIq);
          await mallory.send(bigMessage);
        }
      }
    })();
    const iqError = await mallory.waitFor((s) => s.attrs.id === "huge-iq", 15_000, "the iq error");
    const messageError = await mallory.waitFor(
      (s) => s.attrs.id === "huge-m",
      15_000,
      "the message error",
    );
    await sending;
    const echoes: string[] = [];
    for (let n = 1; n <= ECHOES; n++) {
      const reply = await alice.waitFor(
        fromContact(echo, (s) => s.getChildText("body") === `echo me ${n}`),
        20_000,
        `echo ${n}`,
      ).catch(() => undefined);
      if (reply) echoes.push(reply.attrs.id!);
    }
    const reconnections = gateway.lines().filter((l) => /Component online/.test(l)).length - 1;
    console.log(
      `a user's 1.2 MB stanza amid another user's chat: sent ${ECHOES}, delivered ${echoes.length}, ` +
        `lost ${ECHOES - echoes.length}, duplicated ${echoes.length - new Set(echoes).size}, ` +
        `component reconnections ${reconnections}`,
    );
    assert.equal(iqError.attrs.type, "error");
    assert.ok(iqError.getChild("error")?.getChild("service-unavailable"), iqError.toString());
    assert.ok(iqError.toString().length < 8 * 1024, "the error reply is small");
    assert.equal(messageError.attrs.type, "error");
    assert.ok(messageError.getChildText("body")!.length <= 1024);
    assert.equal(echoes.length, ECHOES, "echoes lost");
    assert.equal(reconnections, 0, "the component stream was closed");
    assert.doesNotMatch(await server.log(), /stanza-too-large/);
  },
});
