/**
 * The XMPP server restarted while messages flow both ways (issue 12's suite), through a real
 * Prosody (with offline storage, as deployments have): Bob writes to Alice on Messenger all along,
 * 200 messages, before, during and after the restart; Alice writes 200 messages to Bob and 200
 * to Echo Bot (which answers each), half just before the restart — their echoes and receipts are
 * on their way when it happens — and half once her client is back. Counts per flow: sent,
 * delivered, refused with an error, lost, duplicated; nothing lost, nothing twice, each flow in
 * order.
 */
import assert from "node:assert/strict";
import type { XmlElement } from "./_harness/client.ts";
import { chat, registeredAlice } from "./_harness/registered_alice.ts";
import { soak } from "./_harness/soak.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const EACH = soak ? 1000 : 200;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One delivered message: its text, and the stanza id it came with (copies share it). */
interface Delivered {
  text: string;
  id?: string;
}

/**
 * The flow's count line; lost and duplicated must be 0. A copy under the same id (re-sent after
 * the reconnection because the server had not confirmed it) is dropped by clients: counted apart.
 */
function counted(
  flow: string,
  sent: string[],
  delivered: Delivered[],
  refused: string[],
): { line: string; lost: number; duplicated: number; order: boolean } {
  const byId = new Map<string, string>();
  for (const [n, { text, id }] of delivered.entries()) byId.set(id ?? `#${n}`, text);
  const texts = [...byId.values()];
  const distinct = new Set(texts);
  const refusedOnly = refused.filter((text) => !distinct.has(text));
  const lost = sent.filter((text) => !distinct.has(text) && !refused.includes(text)).length;
  const duplicated = texts.length - distinct.size + (refused.length - refusedOnly.length);
  const copies = delivered.length - byId.size;
  const positions = [...distinct].map((text) => sent.indexOf(text));
  const order = positions.every((p, i) => i === 0 || p > positions[i - 1]);
  return {
    line: `${flow}: sent ${sent.length}, delivered ${distinct.size}, refused with an error ` +
      `${refusedOnly.length}, lost ${lost}, duplicated ${duplicated} (copies under one id, ` +
      `dropped by clients: ${copies})`,
    lost,
    duplicated,
    order,
  };
}

Deno.test({
  name: "Prosody restarted while messages flow both ways: nothing lost, nothing twice",
  ...e2e,
  async fn() {
    // Alice writes faster than the per-user rate limit allows: not what this test is about.
    await using t = await registeredAlice({
      prosody: { hostModules: ["offline"] },
      config: { messages: { rate_burst: 10_000 } },
    });
    const { alice, bob, echo, control, server, gateway } = t;
    alice.clearPending();
    const fromBob = Array.from({ length: EACH }, (_, i) => `bob ${i + 1}`);
    const toBob = Array.from({ length: EACH }, (_, i) => `to bob ${i + 1}`);
    const toEcho = Array.from({ length: EACH }, (_, i) => `echo ${i + 1}`);

    // Bob writes all along, about every 20 ms.
    let bobSent = 0;
    const bobWrites = (async () => {
      for (const text of fromBob) {
        await control.inject({ type: "message", sender: "200002", text });
        bobSent++;
        await sleep(20);
      }
    })();
    const aliceWrites = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        await alice.send(chat(bob, `b-${i}`, toBob[i]));
        await alice.send(chat(echo, `e-${i}`, toEcho[i]));
        await sleep(2);
      }
    };
    const messengerTexts = async (thread: string, prefix: string) =>
      (await control.operations()).flatMap((op) =>
        op.method === "sendMessage" && op.thread === thread && op.text?.startsWith(prefix)
          ? [op.text]
          : []
      );

    while (bobSent < EACH / 4) await sleep(20);
    const half = EACH / 2;
    await aliceWrites(0, half);
    // Everything Alice wrote reached the gateway: restart while its answers are on their way.
    const deadline = Date.now() + 30_000;
    while ((await messengerTexts("200001", "echo ")).length < half && Date.now() < deadline) {
      await sleep(10);
    }
    const online = alice.nextOnline(30_000);
    const mark = gateway.mark();
    await server.restart();
    await online;
    await gateway.waitForLog(/Component online/, 30_000, mark);
    await aliceWrites(half, EACH);
    await bobWrites;

    // Wait until every flow is accounted for (or 60 s).
    const isBody = (from: string, prefix: string) => (s: XmlElement) =>
      s.is("message") && s.attrs.type !== "error" && s.attrs.from?.split("/")[0] === from &&
      (s.getChildText("body")?.startsWith(prefix) ?? false);
    const errorsFor = (prefix: string) =>
      alice.pending().filter((s) =>
        s.is("message") && s.attrs.type === "error" && (s.attrs.id?.startsWith(prefix) ?? false)
      );
    const bodies = (from: string, prefix: string) =>
      alice.pending().filter(isBody(from, prefix)).map((s) => s.getChildText("body")!);
    const received = (from: string, prefix: string): Delivered[] =>
      alice.pending().filter(isBody(from, prefix)).map((s) => ({
        text: s.getChildText("body")!,
        ...(s.attrs.id ? { id: s.attrs.id } : {}),
      }));
    const settleBy = Date.now() + 60_000;
    while (Date.now() < settleBy) {
      const done = new Set(bodies(bob, "bob ")).size >= EACH &&
        new Set(bodies(echo, "echo ")).size + errorsFor("e-").length >= EACH &&
        new Set(await messengerTexts("200002", "to bob ")).size + errorsFor("b-").length >= EACH;
      if (done) break;
      await sleep(100);
    }
    // A moment for anything arriving twice (a re-sent copy comes right after the reconnection).
    await sleep(1000);

    const textOfError = (s: XmlElement, texts: string[]) => texts[Number(s.attrs.id!.slice(2))];
    const flows = [
      counted("Bob to Alice (Messenger to XMPP)", fromBob, received(bob, "bob "), []),
      counted(
        "Alice to Bob (XMPP to Messenger)",
        toBob,
        (await messengerTexts("200002", "to bob ")).map((text) => ({ text })),
        errorsFor("b-").map((s) => textOfError(s, toBob)),
      ),
      counted(
        "Alice to Echo Bot and back",
        toEcho,
        received(echo, "echo "),
        errorsFor("e-").map((s) => textOfError(s, toEcho)),
      ),
    ];
    console.log(`Prosody restarted under traffic: ${flows.map((flow) => flow.line).join("; ")}`);
    for (const flow of flows) {
      assert.equal(flow.lost, 0, flow.line);
      assert.equal(flow.duplicated, 0, flow.line);
      assert.ok(flow.order, `order lost: ${flow.line}`);
    }
  },
});
