/**
 * One-to-one messages both ways, end to end: a real Prosody, the real gateway process on the
 * simulated network (driven through its loopback control API), and real clients.
 */
import assert from "node:assert/strict";
import { xml, type XmlElement } from "./_harness/client.ts";
import { bodyFrom, chat, fromContact, registeredAlice } from "./_harness/registered_alice.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

function errorCondition(stanza: XmlElement): string | undefined {
  return stanza.getChild("error")?.getChildElements().find((c) => c.name !== "text")?.name;
}

/** Alice registered, online, talking to Echo Bot and Bob (messages.reconnect_wait: 10 s). */
function setup(options: { reconnectWait?: number; hostModules?: string[] } = {}) {
  return registeredAlice({
    config: { messages: { reconnect_wait: options.reconnectWait ?? 10 } },
    prosody: { hostModules: options.hostModules ?? [] },
  });
}

Deno.test({
  name: "texts go both ways with receipts, ids, markers, unicode and no duplicates",
  ...e2e,
  async fn() {
    await using t = await setup();
    const { alice, control, echo, bob } = t;

    // Out: a text with a receipt request → Messenger send, receipt, the echo comes back in.
    const text = "Hello, 世界 👋🏽 — ça va?";
    await alice.send(chat(echo, "a-1", text, xml("request", { xmlns: "urn:xmpp:receipts" })));
    const receipt = await alice.waitFor(
      fromContact(echo, (s) => s.getChild("received", "urn:xmpp:receipts")?.attrs.id === "a-1"),
      10_000,
      "the receipt of a-1",
    );
    assert.ok(receipt);
    const sent = await control.waitOperation("sendMessage", (op) => op.method === "sendMessage");
    assert.equal(sent.text, text);
    assert.equal(sent.thread, "200001");
    const echoed = await bodyFrom(alice, echo, text);
    assert.equal(echoed.attrs.type, "chat");
    assert.ok(echoed.attrs.id?.startsWith("mid."), echoed.toString());
    assert.ok(echoed.getChild("markable", "urn:xmpp:chat-markers:0"), "not markable");
    assert.ok(echoed.getChild("store", "urn:xmpp:hints"), "no store hint");

    // In: a friend's message, then the same Messenger message again: shown once.
    const [injected] = await control.inject({
      type: "message",
      sender: "200002",
      text: "Hi Alice!",
    });
    const hi = await bodyFrom(alice, bob, "Hi Alice!");
    assert.equal(hi.attrs.id, injected.id);
    await control.redeliver(injected.id!);
    await control.inject({ type: "message", sender: "200002", text: "second" });
    await bodyFrom(alice, bob, "second");
    assert.ok(
      !alice.pending().some((s) => s.getChildText("body") === "Hi Alice!"),
      "a redelivered message was shown twice",
    );

    // An old message carries <delay>.
    await control.inject({
      type: "message",
      sender: "200002",
      text: "from yesterday",
      timestamp: Date.now() - 86_400_000,
    });
    const old = await bodyFrom(alice, bob, "from yesterday");
    assert.ok(old.getChild("delay", "urn:xmpp:delay"), old.toString());

    // Read markers both ways: Alice displays Bob's message → mark read; Bob reads → displayed.
    await alice.send(
      xml(
        "message",
        { type: "chat", to: bob, id: "a-2" },
        xml("displayed", {
          xmlns: "urn:xmpp:chat-markers:0",
          id: hi.attrs.id,
        }),
      ),
    );
    await control.waitOperation(
      "markRead",
      (op) => op.method === "markRead" && op.thread === "200002",
    );
    await alice.send(chat(bob, "a-3", "did you read this?"));
    await control.waitOperation("send to bob", (op) => op.text === "did you read this?");
    await control.inject({ type: "read_receipt", reader: "200002" });
    await alice.waitFor(
      fromContact(
        bob,
        (s) => s.getChild("displayed", "urn:xmpp:chat-markers:0")?.attrs.id === "a-3",
      ),
      10_000,
      "Bob's displayed marker for a-3",
    );

    // Typing both ways.
    await alice.send(
      xml(
        "message",
        { type: "chat", to: bob },
        xml("composing", {
          xmlns: "http://jabber.org/protocol/chatstates",
        }),
      ),
    );
    await control.waitOperation(
      "setTyping",
      (op) => op.method === "setTyping" && op.typing === true,
    );
    await control.inject({ type: "typing", user: "200002" });
    await alice.waitFor(
      fromContact(bob, (s) => !!s.getChild("composing", "http://jabber.org/protocol/chatstates")),
      10_000,
      "Bob composing",
    );
  },
});

Deno.test({
  name: "replies, reactions, retractions and corrections map to Messenger and back",
  ...e2e,
  async fn() {
    await using t = await setup();
    const { alice, control, bob } = t;
    const [hi] = await control.inject({
      type: "message",
      sender: "200002",
      text: "Pizza tonight?",
    });
    await bodyFrom(alice, bob, "Pizza tonight?");

    // A XEP-0461 reply with its fallback quote: the quote is stripped, the target mapped.
    const quote = "> Bob Builder wrote:\n> Pizza tonight?\n";
    await alice.send(
      chat(
        bob,
        "a-10",
        `${quote}Yes!`,
        xml("reply", { xmlns: "urn:xmpp:reply:0", to: bob, id: hi.id }),
        xml(
          "fallback",
          { xmlns: "urn:xmpp:fallback:0", for: "urn:xmpp:reply:0" },
          xml("body", {
            start: "0",
            end: String([...quote].length),
          }),
        ),
      ),
    );
    const reply = await control.waitOperation("reply", (op) => op.text === "Yes!");
    assert.equal(reply.replyTo, hi.id);

    // A reaction to Bob's message; two emoji are refused with not-acceptable.
    await alice.send(
      xml(
        "message",
        { type: "chat", to: bob, id: "a-11" },
        xml("reactions", {
          xmlns: "urn:xmpp:reactions:0",
          id: hi.id,
        }, xml("reaction", {}, "🍕")),
      ),
    );
    const react = await control.waitOperation("react", (op) => op.method === "react");
    assert.equal(react.reaction, "🍕");
    assert.equal(react.messageId, hi.id);
    await alice.send(
      xml(
        "message",
        { type: "chat", to: bob, id: "a-12" },
        xml(
          "reactions",
          {
            xmlns: "urn:xmpp:reactions:0",
            id: hi.id,
          },
          xml("reaction", {}, "🍕"),
          xml("reaction", {}, "👍"),
        ),
      ),
    );
    const refused = await alice.waitFor(
      (s) => s.is("message") && s.attrs.id === "a-12" && s.attrs.type === "error",
    );
    assert.equal(errorCondition(refused), "not-acceptable");
    assert.match(refused.getChild("error")?.getChildText("text") ?? "", /1 emoji/);

    // Bob reacts to Alice's reply: the reaction targets her own stanza id.
    const replyId = reply.messageId!;
    await control.inject({
      type: "reaction",
      reactor: "200002",
      messageId: replyId,
      reaction: "❤",
    });
    const reactions = await alice.waitFor(
      fromContact(bob, (s) => !!s.getChild("reactions", "urn:xmpp:reactions:0")),
      10_000,
      "Bob's reaction",
    );
    assert.equal(reactions.getChild("reactions", "urn:xmpp:reactions:0")?.attrs.id, "a-10");
    assert.equal(
      reactions.getChild("reactions", "urn:xmpp:reactions:0")?.getChildText("reaction"),
      "❤",
    );

    // Alice retracts her reply → unsend; Bob unsends his message → retraction.
    await alice.send(
      xml(
        "message",
        { type: "chat", to: bob, id: "a-13" },
        xml("retract", {
          xmlns: "urn:xmpp:message-retract:1",
          id: "a-10",
        }),
      ),
    );
    const unsend = await control.waitOperation("unsend", (op) => op.method === "unsend");
    assert.equal(unsend.messageId, replyId);
    await control.inject({ type: "unsend", sender: "200002", messageId: hi.id });
    const retraction = await alice.waitFor(
      fromContact(bob, (s) => !!s.getChild("retract", "urn:xmpp:message-retract:1")),
      10_000,
      "Bob's retraction",
    );
    assert.equal(retraction.getChild("retract", "urn:xmpp:message-retract:1")?.attrs.id, hi.id);

    // Bob replies to Alice's message: XEP-0461 reply to her stanza id, with a fallback quote.
    await alice.send(chat(bob, "a-16", "Shall I bring drinks?"));
    const asked = await control.waitOperation("ask", (op) => op.text === "Shall I bring drinks?");
    await control.inject({
      type: "message",
      sender: "200002",
      text: "Yes please",
      replyTo: asked.messageId,
    });
    const answer = await bodyFrom(alice, bob, "> You wrote:\n> Shall I bring drinks?\nYes please")
      .catch(async () =>
        await alice.waitFor(
          fromContact(bob, (s) => (s.getChildText("body") ?? "").endsWith("Yes please")),
          10_000,
          "Bob's reply",
        )
      );
    assert.equal(answer.getChild("reply", "urn:xmpp:reply:0")?.attrs.id, "a-16", answer.toString());
    assert.match(answer.getChildText("body") ?? "", /Shall I bring drinks\?/);
    assert.ok(answer.getChild("fallback", "urn:xmpp:fallback:0"), "no fallback marker");

    // Removing a reaction is an empty reaction set → Messenger reaction "".
    await alice.send(
      xml(
        "message",
        { type: "chat", to: bob, id: "a-17" },
        xml("reactions", {
          xmlns: "urn:xmpp:reactions:0",
          id: "a-16",
        }),
      ),
    );
    await control.waitOperation("unreact", (op) => op.method === "react" && op.reaction === "");

    // A correction: told once, delivered as a new message.
    await alice.send(chat(bob, "a-14", "See you at 8"));
    await control.waitOperation("first", (op) => op.text === "See you at 8");
    await alice.send(
      chat(
        bob,
        "a-15",
        "See you at 9",
        xml("replace", { xmlns: "urn:xmpp:message-correct:0", id: "a-14" }),
      ),
    );
    await control.waitOperation("correction", (op) => op.text === "See you at 9");
    const notice = await alice.waitFor(
      (s) =>
        s.is("message") && s.attrs.from === t.gw &&
        /cannot edit/.test(s.getChildText("body") ?? ""),
    );
    assert.ok(notice);

    // An empty correction retracts: the corrected message is unsent.
    await alice.send(
      xml(
        "message",
        { type: "chat", to: bob, id: "a-18" },
        xml("body", {}, ""),
        xml("replace", {
          xmlns: "urn:xmpp:message-correct:0",
          id: "a-15",
        }),
      ),
    );
    const corrected = await control.waitOperation(
      "the correction",
      (op) => op.text === "See you at 9",
    );
    await control.waitOperation(
      "unsend of the corrected message",
      (op) => op.method === "unsend" && op.messageId === corrected.messageId,
    );

    // disco#info on a contact: what the flows implement, no correction, one reaction per person.
    const info = await alice.iq(
      xml(
        "iq",
        { type: "get", to: bob },
        xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
      ),
    );
    assert.equal(info.attrs.type, "result", info.toString());
    const features = info.getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
    for (
      const feature of [
        "urn:xmpp:reactions:0",
        "urn:xmpp:message-retract:1",
        "urn:xmpp:receipts",
        "urn:xmpp:chat-markers:0",
        "http://jabber.org/protocol/chatstates",
        "urn:xmpp:reply:0",
      ]
    ) assert.ok(features.includes(feature), `${feature} not advertised`);
    assert.ok(!features.includes("urn:xmpp:message-correct:0"), "correction advertised");
    const restriction = info.getChild("query")!.getChild("x", "jabber:x:data")!;
    const max = restriction.getChildren("field").find((f) =>
      f.attrs.var === "max_reactions_per_user"
    );
    assert.equal(max?.getChildText("value"), "1");
  },
});

Deno.test({
  name: "bad messages get the right error, and a brief Messenger outage loses nothing",
  ...e2e,
  async fn() {
    await using t = await setup({ reconnectWait: 3 });
    const { alice, control, bob, gw } = t;

    await alice.send(chat(`not-a-number@${gw}`, "b-1", "hello?"));
    const unknown = await alice.waitFor((s) => s.attrs.id === "b-1" && s.attrs.type === "error");
    assert.equal(errorCondition(unknown), "item-not-found");

    await alice.send(chat(bob, "b-0", "   "));
    const empty = await alice.waitFor((s) => s.attrs.id === "b-0" && s.attrs.type === "error");
    assert.equal(errorCondition(empty), "not-acceptable");

    await alice.send(chat(bob, "b-2", "x".repeat(20_001)));
    const long = await alice.waitFor((s) => s.attrs.id === "b-2" && s.attrs.type === "error");
    assert.equal(errorCondition(long), "not-acceptable");
    assert.match(long.getChild("error")?.getChildText("text") ?? "", /20000/);

    await alice.send(
      xml(
        "message",
        { type: "chat", to: bob, id: "b-3" },
        xml("retract", {
          xmlns: "urn:xmpp:message-retract:1",
          id: "never-existed",
        }),
      ),
    );
    const unknownTarget = await alice.waitFor((s) =>
      s.attrs.id === "b-3" && s.attrs.type === "error"
    );
    assert.equal(errorCondition(unknownTarget), "item-not-found");

    // Messenger refuses a send: the client gets an error for that message, not silence.
    await control.faults({ kind: "fail", method: "sendMessage", code: "rate_limited" });
    await alice.send(chat(bob, "b-4", "will fail"));
    const failed = await alice.waitFor((s) => s.attrs.id === "b-4" && s.attrs.type === "error");
    assert.equal(errorCondition(failed), "remote-server-timeout");

    // A brief outage: the message waits and is delivered after the reconnection.
    await control.faults({ kind: "drop_connection", downMs: 1500 });
    await alice.send(chat(bob, "b-5", "sent during the outage"));
    await control.waitOperation(
      "late send",
      (op) => op.text === "sent during the outage" && op.messageId !== undefined,
    );
    assert.ok(
      !alice.pending().some((s) => s.attrs.id === "b-5" && s.attrs.type === "error"),
      "the message sent during the outage bounced: " + t.gateway.output(),
    );

    assert.match(t.gateway.output(), /Reconnecting/, "the outage was not seen by the gateway");
    // An outage longer than reconnect_wait: the sender gets an error, not silence. (The
    // "Connected as" presence after the short outage must not pass for the next one.)
    alice.clearPending();
    await control.faults({ kind: "drop_connection", downMs: 6000 });
    await alice.send(chat(bob, "b-7", "sent during a long outage"));
    const timedOut = await alice.waitFor(
      (s) => s.attrs.id === "b-7" && s.attrs.type === "error",
      10_000,
      "the error for a message that waited too long",
    );
    assert.equal(errorCondition(timedOut), "remote-server-timeout");
    await alice.waitFor(
      (s) =>
        s.is("presence") && s.attrs.from === gw &&
        /Connected as/.test(s.getChildText("status") ?? ""),
      10_000,
      "the gateway connected again",
    );

    // The gateway is still healthy.
    await alice.send(chat(bob, "b-6", "still here"));
    await control.waitOperation("after", (op) => op.text === "still here");
  },
});

Deno.test({
  name: "what the user does in the official app reaches their XMPP clients as carbons",
  ...e2e,
  async fn() {
    await using t = await setup();
    const { alice, control, bob } = t;
    const enabled = await alice.iq(
      xml("iq", { type: "set" }, xml("enable", { xmlns: "urn:xmpp:carbons:2" })),
    );
    assert.equal(enabled.attrs.type, "result");
    await control.inject({
      type: "message",
      sender: "100001",
      thread: "200002",
      text: "Sent from my phone",
    });
    const carbon = await alice.waitFor(
      (s) => s.is("message") && !!s.getChild("sent", "urn:xmpp:carbons:2"),
      10_000,
      "a carbon of the phone's message",
    );
    const inner = carbon.getChild("sent", "urn:xmpp:carbons:2")?.getChild(
      "forwarded",
      "urn:xmpp:forward:0",
    )
      ?.getChild("message");
    assert.equal(inner?.getChildText("body"), "Sent from my phone");
    assert.equal(inner?.attrs.to?.split("/")[0], bob);
    // The copy Prosody routes back to the gateway is not sent to Messenger again.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const resent = (await control.operations()).filter((op) => op.text === "Sent from my phone");
    assert.equal(resent.length, 0, JSON.stringify(resent));
  },
});

Deno.test({
  name:
    "Messenger messages that arrive while the XMPP server is down are delivered after it is back",
  ...e2e,
  async fn() {
    await using t = await setup({ hostModules: ["offline", "mam"] });
    const { alice, control, bob, server, gateway } = t;
    const mark = gateway.mark();
    const back = alice.nextOnline(30_000);
    await server.stop();
    await control.inject({ type: "message", sender: "200002", text: "while the server was down" });
    // What Alice wrote from her phone meanwhile: reflected as hers once the server is back
    // (after it re-sent its XEP-0356 grant), so it lands in her archive.
    await control.inject({
      type: "message",
      sender: "100001",
      thread: "200002",
      text: "mine, from the phone, during the outage",
    });
    await server.start();
    await back;
    await gateway.waitForLog(/component online/i, 30_000, mark);
    const late = await bodyFrom(alice, bob, "while the server was down");
    assert.equal(late.attrs.type, "chat");

    const archived = async () => {
      const queryid = crypto.randomUUID();
      const found: string[] = [];
      const done = alice.iq(
        xml(
          "iq",
          { type: "set" },
          xml("query", { xmlns: "urn:xmpp:mam:2", queryid }),
        ),
      );
      const result = await done;
      assert.equal(result.attrs.type, "result", result.toString());
      for (const s of alice.pending()) {
        const forwarded = s.getChild("result", "urn:xmpp:mam:2")?.getChild(
          "forwarded",
          "urn:xmpp:forward:0",
        )?.getChild("message");
        if (s.getChild("result", "urn:xmpp:mam:2")?.attrs.queryid === queryid && forwarded) {
          found.push(`${forwarded.attrs.to?.split("/")[0]}: ${forwarded.getChildText("body")}`);
        }
      }
      return found;
    };
    const deadline = Date.now() + 15_000;
    let entries: string[] = [];
    while (Date.now() < deadline) {
      entries = await archived();
      if (entries.includes(`${bob}: mine, from the phone, during the outage`)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.ok(
      entries.includes(`${bob}: mine, from the phone, during the outage`),
      `not in Alice's archive: ${JSON.stringify(entries)}\n${gateway.output()}`,
    );
  },
});

Deno.test({
  name: "when the gateway stops, its contacts go offline in the user's roster",
  ...e2e,
  async fn() {
    await using t = await setup();
    const { alice, bob, gateway, gw } = t;
    await alice.waitFor(
      (s) => s.is("presence") && s.attrs.from?.split("/")[0] === bob && s.attrs.type === undefined,
      10_000,
      "Bob available",
    );
    assert.equal(await gateway.stop("SIGTERM"), 0);
    await alice.waitFor(
      (s) =>
        s.is("presence") && s.attrs.from?.split("/")[0] === bob && s.attrs.type === "unavailable",
      10_000,
      "Bob unavailable after the gateway stopped",
    );
    await alice.waitFor(
      (s) => s.is("presence") && s.attrs.from === gw && s.attrs.type === "unavailable",
      10_000,
      "the gateway unavailable",
    );
  },
});
