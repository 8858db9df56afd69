import assert from "node:assert/strict";
import { StanzaError } from "../../src/xmpp/stanza_error.ts";
import { xml } from "../../src/xmpp/xml.ts";
import { errorCondition, errorText, parse, recordingRouter } from "./_stanzas.ts";

const USER = "alice@example.org/phone";
const GW = "facebook.example.org";

Deno.test("an iq for an unknown namespace is answered with service-unavailable", async () => {
  const { router, sent } = recordingRouter();
  await router.handle(
    parse(`<iq type="get" id="q1" from="${USER}" to="${GW}"><query xmlns="urn:x:nope"/></iq>`),
  );
  assert.equal(sent.length, 1);
  assert.equal(sent[0].attrs.type, "error");
  assert.equal(sent[0].attrs.id, "q1");
  assert.equal(sent[0].attrs.to, USER);
  assert.equal(sent[0].attrs.from, GW);
  assert.equal(errorCondition(sent[0]), "service-unavailable");
});

Deno.test("a handler's payload becomes exactly one result reply", async () => {
  const { router, sent } = recordingRouter();
  router.iq("gateway", "get", "urn:x:test", "query", () => xml("query", { xmlns: "urn:x:test" }));
  await router.handle(
    parse(`<iq type="get" id="q2" from="${USER}" to="${GW}"><query xmlns="urn:x:test"/></iq>`),
  );
  assert.equal(sent.length, 1);
  assert.equal(sent[0].attrs.type, "result");
  assert.equal(sent[0].attrs.id, "q2");
  assert.ok(sent[0].getChild("query", "urn:x:test"));
});

Deno.test("stanzas a handler puts before its answer go out with it, in one write, first", async () => {
  const writes: string[][] = [];
  const { router, sent } = recordingRouter({
    sendAll: (stanzas) => void writes.push(stanzas.map((stanza) => stanza.attrs.id ?? "")),
  });
  router.iq("gateway", "set", "urn:x:test", "query", ({ precede }) => {
    precede([xml("message", { id: "r1" }), xml("message", { id: "r2" })]);
    return xml("fin", { xmlns: "urn:x:test" });
  });
  await router.handle(
    parse(`<iq type="set" id="q5" from="${USER}" to="${GW}"><query xmlns="urn:x:test"/></iq>`),
  );
  assert.deepEqual(writes, [["r1", "r2", "q5"]]);
  assert.equal(sent.length, 0, "nothing went out on its own");

  // Without a way to write them together, they still go first, one by one.
  const plain = recordingRouter();
  plain.router.iq("gateway", "set", "urn:x:test", "query", ({ precede }) => {
    precede([xml("message", { id: "r1" })]);
  });
  await plain.router.handle(
    parse(`<iq type="set" id="q6" from="${USER}" to="${GW}"><query xmlns="urn:x:test"/></iq>`),
  );
  assert.deepEqual(plain.sent.map((stanza) => stanza.attrs.id), ["r1", "q6"]);
});

Deno.test("stanzas put before the answer of a handler that then fails are not sent", async () => {
  const { router, sent } = recordingRouter();
  router.iq("gateway", "set", "urn:x:test", "query", ({ precede }) => {
    precede([xml("message", { id: "r1" })]);
    throw new StanzaError("item-not-found");
  });
  await router.handle(
    parse(`<iq type="set" id="q7" from="${USER}" to="${GW}"><query xmlns="urn:x:test"/></iq>`),
  );
  assert.deepEqual(sent.map((stanza) => stanza.attrs.id), ["q7"]);
  assert.equal(errorCondition(sent[0]), "item-not-found");
});

Deno.test("a handler that throws gives internal-server-error without the raw error text", async () => {
  const { router, sent } = recordingRouter();
  router.iq("gateway", "set", "urn:x:test", "query", () => {
    throw new Error("database password=hunter2 exploded at line 42");
  });
  await router.handle(
    parse(`<iq type="set" id="q3" from="${USER}" to="${GW}"><query xmlns="urn:x:test"/></iq>`),
  );
  assert.equal(sent.length, 1);
  assert.equal(errorCondition(sent[0]), "internal-server-error");
  assert.doesNotMatch(sent[0].toString(), /hunter2|exploded|line 42/);
});

Deno.test("a handler's StanzaError is sent with its condition and sentence", async () => {
  const { router, sent } = recordingRouter();
  router.iq("gateway", "get", "urn:x:test", "query", () => {
    throw new StanzaError("not-acceptable", "Maximum 1 emoji per message");
  });
  await router.handle(
    parse(`<iq type="get" id="q4" from="${USER}" to="${GW}"><query xmlns="urn:x:test"/></iq>`),
  );
  assert.equal(errorCondition(sent[0]), "not-acceptable");
  assert.equal(errorText(sent[0]), "Maximum 1 emoji per message");
  assert.equal(sent[0].getChild("error")?.attrs.type, "modify");
});

Deno.test("an iq with two children is a bad-request", async () => {
  const { router, sent } = recordingRouter();
  router.iq("gateway", "get", "urn:x:test", "query", () => {});
  await router.handle(
    parse(
      `<iq type="get" id="q5" from="${USER}" to="${GW}"><query xmlns="urn:x:test"/><x xmlns="a"/></iq>`,
    ),
  );
  assert.equal(sent.length, 1);
  assert.equal(errorCondition(sent[0]), "bad-request");
});

Deno.test("an iq with no child or no id or a bad type is a bad-request", async () => {
  for (
    const text of [
      `<iq type="get" id="q6" from="${USER}" to="${GW}"/>`,
      `<iq type="get" from="${USER}" to="${GW}"><query xmlns="urn:x:test"/></iq>`,
      `<iq type="fetch" id="q7" from="${USER}" to="${GW}"><query xmlns="urn:x:test"/></iq>`,
    ]
  ) {
    const { router, sent } = recordingRouter();
    router.iq("gateway", "get", "urn:x:test", "query", () => {});
    await router.handle(parse(text));
    assert.equal(sent.length, 1, text);
    assert.equal(errorCondition(sent[0]), "bad-request", text);
  }
});

Deno.test("an unregistered user's iq to a contact JID gets registration-required", async () => {
  const { router, sent } = recordingRouter();
  router.iq("contact", "get", "vcard-temp", "vCard", () => {});
  await router.handle(
    parse(
      `<iq type="get" id="q8" from="${USER}" to="100001@${GW}"><vCard xmlns="vcard-temp"/></iq>`,
    ),
  );
  assert.equal(errorCondition(sent[0]), "registration-required");
  assert.equal(sent[0].getChild("error")?.attrs.type, "auth");
});

Deno.test("an unregistered user's message to a contact bounces with registration-required", async () => {
  const { router, sent } = recordingRouter();
  let delivered = false;
  router.onMessage("contact", () => void (delivered = true));
  await router.handle(
    parse(
      `<message type="chat" id="m1" from="${USER}" to="100001@${GW}"><body>hi</body></message>`,
    ),
  );
  assert.equal(delivered, false);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].name, "message");
  assert.equal(sent[0].attrs.type, "error");
  assert.equal(sent[0].attrs.id, "m1");
  assert.equal(errorCondition(sent[0]), "registration-required");
});

Deno.test("a registered user's message reaches the contact handler", async () => {
  const { router, sent } = recordingRouter({ isRegistered: (jid) => jid === "alice@example.org" });
  const seen: string[] = [];
  router.onMessage("contact", ({ from, to }) => void seen.push(`${from.bare}->${to.bare}`));
  await router.handle(
    parse(`<message type="chat" from="${USER}" to="100001@${GW}"><body>hi</body></message>`),
  );
  assert.deepEqual(seen, [`alice@example.org->100001@${GW}`]);
  assert.equal(sent.length, 0);
});

Deno.test("error stanzas are never answered", async () => {
  const { router, sent } = recordingRouter();
  for (
    const text of [
      `<message type="error" from="${USER}" to="100001@${GW}"><body>x</body></message>`,
      `<presence type="error" from="${USER}" to="100001@${GW}"/>`,
      `<iq type="error" id="zz" from="${USER}" to="${GW}"/>`,
    ]
  ) await router.handle(parse(text));
  assert.equal(sent.length, 0);
});

Deno.test("a stanza with a malformed from address gets jid-malformed", async () => {
  const { router, sent } = recordingRouter();
  await router.handle(
    parse(`<iq type="get" id="q9" from="a@b@c" to="${GW}"><ping xmlns="urn:xmpp:ping"/></iq>`),
  );
  assert.equal(errorCondition(sent[0]), "jid-malformed");
});

Deno.test("a throwing message handler bounces the message instead of crashing", async () => {
  const { router, sent } = recordingRouter({ isRegistered: () => true });
  router.onMessage("contact", () => {
    throw new TypeError("cannot read properties of undefined");
  });
  await router.handle(
    parse(`<message type="chat" id="m2" from="${USER}" to="1@${GW}"><body>x</body></message>`),
  );
  assert.equal(errorCondition(sent[0]), "internal-server-error");
  assert.doesNotMatch(sent[0].toString(), /undefined/);
});

Deno.test("error replies never echo what was submitted: iq payloads are sent back empty", async () => {
  const { router, sent } = recordingRouter();
  router.iq("gateway", "set", "jabber:iq:register", "query", () => {
    throw new StanzaError("not-authorized", "Messenger refused these credentials");
  });
  await router.handle(
    parse(
      `<iq type="set" id="q11" from="${USER}" to="${GW}"><query xmlns="jabber:iq:register">` +
        `<username>alice@example.com</username><password>hunter2hunter2</password></query></iq>`,
    ),
  );
  assert.equal(errorCondition(sent[0]), "not-authorized");
  const payload = sent[0].getChild("query", "jabber:iq:register");
  assert.ok(payload, "the payload element stays, so clients can tell what failed");
  assert.deepEqual(payload.children, []);
  assert.doesNotMatch(sent[0].toString(), /hunter2|alice@example\.com/);
});

Deno.test("a bounced message keeps its body only when it was for a contact", async () => {
  const { router, sent } = recordingRouter({ isRegistered: () => true });
  const fail = () => {
    throw new TypeError("boom");
  };
  router.onMessage("contact", fail);
  router.onMessage("gateway", fail);
  await router.handle(
    parse(`<message type="chat" id="m3" from="${USER}" to="1@${GW}"><body>Hi Bob</body></message>`),
  );
  // To the gateway itself, a message may be an answer in a chat dialogue: a password.
  await router.handle(
    parse(`<message type="chat" id="m4" from="${USER}" to="${GW}"><body>hunter2</body></message>`),
  );
  assert.equal(sent.length, 2);
  assert.equal(sent[0].getChildText("body"), "Hi Bob");
  assert.equal(errorCondition(sent[1]), "internal-server-error");
  assert.doesNotMatch(sent[1].toString(), /hunter2/);
});

Deno.test("a failing send never makes handle reject", async () => {
  const { router } = recordingRouter({
    send: () => {
      throw new Error("socket gone");
    },
  });
  await router.handle(
    parse(`<iq type="get" id="q10" from="${USER}" to="${GW}"><query xmlns="urn:x"/></iq>`),
  );
});

Deno.test("features list only what has handlers", () => {
  const { router } = recordingRouter();
  assert.deepEqual(router.features("gateway"), []);
  router.iq("gateway", "get", "urn:xmpp:ping", "ping", () => {});
  router.feature("gateway", "urn:x:extra");
  assert.deepEqual(router.features("gateway"), ["urn:x:extra", "urn:xmpp:ping"]);
  assert.deepEqual(router.features("contact"), []);
});

Deno.test("an outgoing iq call resolves with the matching reply", async () => {
  const { router, sent } = recordingRouter();
  const reply = router.call(xml("iq", { type: "get", to: "alice@example.org" }, xml("x", {})));
  const id = sent[0].attrs.id!;
  assert.equal(sent[0].attrs.from, GW);
  await router.handle(parse(`<iq type="result" id="${id}" from="alice@example.org" to="${GW}"/>`));
  assert.equal((await reply).attrs.type, "result");
});

Deno.test("an outgoing iq call without reply rejects after its timeout", async () => {
  const { router } = recordingRouter({ iqTimeoutMs: 10 });
  await assert.rejects(
    router.call(xml("iq", { type: "get", to: "alice@example.org" }, xml("x", {}))),
    /No reply/,
  );
});

Deno.test("a reply to an outgoing iq from someone else than the addressee is ignored", async () => {
  const { router, sent } = recordingRouter({ iqTimeoutMs: 200 });
  const reply = router.call(xml("iq", { type: "get", to: "upload.example.org" }, xml("x", {})));
  const id = sent[0].attrs.id!;
  assert.doesNotMatch(id, /^mg-\d+$/, "ids must not be guessable");
  await router.handle(
    parse(`<iq type="result" id="${id}" from="mallory@evil.example/x" to="${GW}"><slot/></iq>`),
  );
  await router.handle(parse(`<iq type="result" id="${id}" from="upload.example.org" to="${GW}"/>`));
  const answer = await reply;
  assert.equal(answer.attrs.from, "upload.example.org");
  assert.equal(answer.getChild("slot"), undefined);
});

Deno.test("closing the router rejects the iqs still waiting for a reply", async () => {
  const { router } = recordingRouter();
  const reply = router.call(xml("iq", { type: "get", to: "alice@example.org" }, xml("x", {})));
  router.close();
  await assert.rejects(reply, /stopping/);
});

Deno.test("an error reply never copies a large payload: a shallow iq payload, a cut body", async () => {
  const { router, sent } = recordingRouter({ isRegistered: () => false });
  // Quotes cost 6 bytes each once the server escapes them: this body would come back at ~1.2 MB.
  const huge = "'".repeat(200_000);
  await router.handle(
    parse(
      `<message type="chat" id="big1" from="${USER}" to="1@${GW}"><body>${huge}</body></message>`,
    ),
  );
  await router.handle(
    parse(
      `<iq type="get" id="big2" from="${USER}" to="${GW}"><query xmlns="urn:x:nope" node="n" ` +
        `junk="${"j".repeat(5000)}"><item>${huge}</item></query></iq>`,
    ),
  );
  assert.equal(sent.length, 2);
  const [message, iq] = sent;
  assert.equal(errorCondition(message), "registration-required");
  assert.equal(message.attrs.id, "big1");
  const body = message.getChildText("body")!;
  assert.ok(body.length <= 1024 && body.endsWith("…") && body.startsWith("''''"), `${body.length}`);
  assert.equal(errorCondition(iq), "service-unavailable");
  const payload = iq.getChild("query", "urn:x:nope")!;
  assert.deepEqual(payload.attrs, { xmlns: "urn:x:nope", node: "n" });
  assert.equal(payload.getChildElements().length, 0);
  for (const stanza of sent) assert.ok(stanza.toString().length < 8 * 1024);
});

Deno.test("an answer above the stanza cap becomes a resource-constraint error", async () => {
  const { router, sent } = recordingRouter({ maxStanzaBytes: 16 * 1024 });
  router.iq(
    "gateway",
    "get",
    "urn:x:test",
    "query",
    () => xml("query", { xmlns: "urn:x:test" }, xml("item", {}, "x".repeat(20_000))),
  );
  router.iq(
    "gateway",
    "set",
    "urn:x:test",
    "query",
    () => xml("query", { xmlns: "urn:x:test" }, xml("item", {}, "small")),
  );
  await router.handle(
    parse(`<iq type="get" id="r1" from="${USER}" to="${GW}"><query xmlns="urn:x:test"/></iq>`),
  );
  await router.handle(
    parse(`<iq type="set" id="r2" from="${USER}" to="${GW}"><query xmlns="urn:x:test"/></iq>`),
  );
  assert.equal(sent.length, 2);
  assert.equal(errorCondition(sent[0]), "resource-constraint");
  assert.match(errorText(sent[0])!, /too large for the XMPP server \(20 KiB, at most 16 KiB\)/);
  assert.equal(sent[0].getChild("error")?.attrs.type, "cancel");
  assert.equal(sent[1].attrs.type, "result");
});
