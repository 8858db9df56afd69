/**
 * "One user's bad stanza never crashes the component", shown through a real Prosody: a client
 * sends a few hundred odd but well-formed stanzas (generated from a fixed seed, so a failure can
 * be replayed) to the gateway and to contact JIDs — unknown and known namespaces with wrong
 * payloads, messages with every extension in strange combinations, presences of every type.
 * Afterwards every iq has had exactly one answer, the gateway is still online, still answers,
 * still bridges a message both ways, and logged no uncaught error.
 */
import assert from "node:assert/strict";
import { xml, type XmlElement } from "./_harness/client.ts";
import { registeredAlice } from "./_harness/registered_alice.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const SEED = 20261125;
const STANZAS = 300;

/** mulberry32: small, fast, and the same sequence on every machine. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Namespaces and the element each one's payload really is (a fuzzed one is often right). */
const PAYLOADS: [string, string][] = [
  ["http://jabber.org/protocol/disco#info", "query"],
  ["http://jabber.org/protocol/disco#items", "query"],
  ["http://jabber.org/protocol/commands", "command"],
  ["jabber:iq:register", "query"],
  ["jabber:iq:search", "query"],
  ["jabber:iq:gateway", "query"],
  ["jabber:iq:version", "query"],
  ["jabber:iq:roster", "query"],
  ["urn:xmpp:ping", "ping"],
  ["vcard-temp", "vCard"],
  ["urn:xmpp:http:upload:0", "request"],
  ["urn:example:unknown", "query"],
];

const TEXTS = ["", " ", "hi", "😀".repeat(50), "x".repeat(25_000), "<b>&amp;</b>", "\u202e rtl"];

Deno.test({
  name: "hundreds of odd stanzas: one answer per iq, no crash, the gateway keeps working",
  ...e2e,
  async fn() {
    await using t = await registeredAlice();
    const { alice, gw, echo, gateway } = t;
    const random = prng(SEED);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
    const maybe = (p = 0.5) => random() < p;
    const targets = [gw, echo, `200002@${gw}`, `999999@${gw}`, `not-a-number@${gw}`, `${gw}/res`];

    const child = (): XmlElement => {
      const [ns, element] = pick(PAYLOADS);
      const name = maybe(0.8) ? element : pick(["query", "command", "x", "vCard", "item"]);
      const attrs: Record<string, string> = { xmlns: ns };
      if (maybe()) attrs.node = pick(["", "info", "jabber:iq:register", "nope", "#"]);
      if (maybe(0.3)) attrs.action = pick(["execute", "next", "cancel", "complete", "bogus"]);
      if (maybe(0.3)) attrs.sessionid = pick(["", "123", "../../etc"]);
      const kids = maybe()
        ? [xml(pick(["field", "x", "value", "item", "remove", "username"]), {
          var: pick(["email", "FORM_TYPE", "password", "cookies", "code", ""]),
        }, xml("value", {}, pick(TEXTS)))]
        : [];
      return xml(name, attrs, ...kids);
    };

    const iqIds: string[] = [];
    for (let n = 0; n < STANZAS; n++) {
      const to = pick(targets);
      const kind = random();
      if (kind < 0.45) {
        const id = `fuzz-${n}`;
        iqIds.push(id);
        const children = maybe(0.1) ? [] : maybe(0.1) ? [child(), child()] : [child()];
        await alice.send(xml("iq", { type: pick(["get", "set"]), to, id }, ...children));
      } else if (kind < 0.85) {
        const extensions: XmlElement[] = [];
        if (maybe()) extensions.push(xml("body", {}, pick(TEXTS)));
        if (maybe(0.2)) {
          extensions.push(
            xml(
              "reactions",
              { xmlns: "urn:xmpp:reactions:0", id: pick(["", "unknown", `fuzz-${n - 1}`]) },
              ...Array.from({ length: Math.floor(random() * 3) }, () => xml("reaction", {}, "👍")),
            ),
          );
        }
        if (maybe(0.2)) {
          extensions.push(xml("retract", { xmlns: "urn:xmpp:message-retract:1", id: "nope" }));
        }
        if (maybe(0.2)) {
          extensions.push(xml("replace", { xmlns: "urn:xmpp:message-correct:0", id: "nope" }));
        }
        if (maybe(0.2)) {
          extensions.push(
            xml("reply", { xmlns: "urn:xmpp:reply:0", id: pick(["", "unknown"]), to: gw }),
          );
        }
        if (maybe(0.2)) {
          extensions.push(
            xml(
              "x",
              { xmlns: "jabber:x:oob" },
              xml("url", {}, pick(["file:///etc/passwd", "http://127.0.0.1:1/x", "nope", ""])),
            ),
          );
        }
        if (maybe(0.2)) {
          extensions.push(
            xml(pick(["composing", "paused", "active"]), {
              xmlns: "http://jabber.org/protocol/chatstates",
            }),
          );
        }
        if (maybe(0.2)) {
          extensions.push(xml("displayed", { xmlns: "urn:xmpp:chat-markers:0", id: "nope" }));
        }
        if (maybe(0.1)) extensions.push(xml("encrypted", { xmlns: "urn:xmpp:omemo:2" }));
        await alice.send(
          xml(
            "message",
            {
              to,
              id: `fuzz-m-${n}`,
              type: pick(["chat", "normal", "groupchat", "headline", "error", "bogus"]),
            },
            ...extensions,
          ),
        );
      } else {
        const type = pick([
          undefined,
          "unavailable",
          "probe",
          "subscribe",
          "subscribed",
          "unsubscribed",
          "error",
        ]);
        await alice.send(xml("presence", { to, ...(type ? { type } : {}) }));
      }
    }

    // Every iq got exactly one answer (result or error), from where it was sent.
    const answered = (id: string) => (s: XmlElement) =>
      s.is("iq") && s.attrs.id === id && (s.attrs.type === "result" || s.attrs.type === "error");
    const answers: XmlElement[] = [];
    for (const id of iqIds) {
      answers.push(await alice.waitFor(answered(id), 20_000, `the answer to ${id}`));
    }
    // A handler that threw unexpectedly answers internal-server-error: none may.
    const internal = answers.filter((s) => s.getChild("error")?.getChild("internal-server-error"));
    assert.deepEqual(internal.map((s) => s.toString()), [], "handlers failed on odd input");
    assert.ok(answers.some((s) => s.attrs.type === "result"), "no request was understood at all");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const extra = alice.pending().filter((s) => s.is("iq") && iqIds.includes(s.attrs.id ?? ""));
    assert.deepEqual(extra.map((s) => s.toString()), [], "iqs answered twice");
    const failedMessages = alice.pending().filter((s) =>
      s.is("message") && s.getChild("error")?.getChild("internal-server-error")
    );
    assert.deepEqual(failedMessages.map((s) => s.toString()), [], "messages failed internally");

    // Still online, still answering, still bridging both ways.
    const pong = await alice.iq(
      xml("iq", { type: "get", to: gw }, xml("ping", { xmlns: "urn:xmpp:ping" })),
    );
    assert.equal(pong.attrs.type, "result");
    alice.clearPending();
    await alice.send(
      xml("message", { type: "chat", to: echo, id: "after-fuzz" }, xml("body", {}, "still there?")),
    );
    await alice.waitFor(
      (s) =>
        s.is("message") && s.attrs.from?.split("/")[0] === echo &&
        s.getChildText("body") === "still there?",
      15_000,
      "Echo Bot's answer after the fuzzing",
    );
    const output = gateway.output();
    assert.doesNotMatch(output, /Uncaught|unhandled rejection|panicked/i);
    assert.ok(!/Component online[\s\S]*Component online/.test(output), "the component reconnected");
  },
});
