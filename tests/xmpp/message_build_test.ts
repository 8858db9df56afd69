import assert from "node:assert/strict";
import {
  attachmentPartId,
  buildChatMessage,
  buildChatState,
  buildContactMessages,
  buildDisplayedMarker,
  buildMessageError,
  buildReaction,
  buildReceipt,
  buildRetraction,
  DEFAULT_DELAY_THRESHOLD_MS,
  RETRACTION_FALLBACK_TEXT,
} from "../../src/xmpp/message_build.ts";
import { replyFallbackQuote } from "../../src/xmpp/reply_fallback.ts";
import { StanzaError } from "../../src/xmpp/stanza_error.ts";
import { assertXml } from "./_canonical_xml.ts";

const CONTACT = "100001@facebook.example.org";
const USER = "alice@example.org";
const route = { from: CONTACT, to: USER };
const NOW = Date.parse("2024-05-01T12:00:00Z");

function codePoints(text: string): number {
  return [...text].length;
}

Deno.test("a contact's plain message: markable, origin-id, store hint, no delay when fresh", () => {
  const message = buildChatMessage(
    { ...route, id: "mid.$1", body: "hello 👋", timestamp: NOW - 1000 },
    { now: NOW },
  );
  assertXml(
    message,
    `<message type="chat" from="${CONTACT}" to="${USER}" id="mid.$1">
      <body>hello 👋</body>
      <markable xmlns="urn:xmpp:chat-markers:0"/>
      <origin-id xmlns="urn:xmpp:sid:0" id="mid.$1"/>
      <store xmlns="urn:xmpp:hints"/>
    </message>`,
  );
});

Deno.test("an old message gets a XEP-0203 delay stamp past the threshold", () => {
  const old = NOW - DEFAULT_DELAY_THRESHOLD_MS - 1;
  const message = buildChatMessage(
    { ...route, id: "m", body: "old", timestamp: old },
    { now: NOW, from: "facebook.example.org" },
  );
  const delay = message.getChild("delay", "urn:xmpp:delay");
  assert.equal(delay?.attrs.stamp, new Date(old).toISOString());
  assert.equal(delay?.attrs.from, "facebook.example.org");
  const atThreshold = buildChatMessage(
    { ...route, id: "m", body: "x", timestamp: NOW - 10 },
    { now: NOW, thresholdMs: 10 },
  );
  assert.equal(atThreshold.getChild("delay", "urn:xmpp:delay"), undefined);
  const noPolicy = buildChatMessage({ ...route, id: "m", body: "x", timestamp: 0 });
  assert.equal(noPolicy.getChild("delay", "urn:xmpp:delay"), undefined);
});

Deno.test("the reply fallback quote reads '> Name wrote:' with each line quoted", () => {
  assert.equal(replyFallbackQuote("Bob", "one\ntwo"), "> Bob wrote:\n> one\n> two\n");
});

Deno.test("a reply carries <reply>, the fallback quote and its XEP-0428 range in code points", () => {
  const message = buildChatMessage({
    ...route,
    id: "mid.$2",
    body: "sure 😀",
    reply: { id: "mid.$1", to: USER, quote: { author: "Alice 🌸", text: "cake?" } },
    markable: false,
  });
  // "> Alice 🌸 wrote:\n> cake?\n" is 25 code points (26 UTF-16 units).
  assertXml(
    message,
    `<message type="chat" from="${CONTACT}" to="${USER}" id="mid.$2">
      <body>&gt; Alice 🌸 wrote:
&gt; cake?
sure 😀</body>
      <reply xmlns="urn:xmpp:reply:0" id="mid.$1" to="${USER}"/>
      <fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="25"/></fallback>
      <origin-id xmlns="urn:xmpp:sid:0" id="mid.$2"/>
      <store xmlns="urn:xmpp:hints"/>
    </message>`,
  );
});

Deno.test("a reply without known text carries only the <reply> element", () => {
  const message = buildChatMessage({ ...route, id: "m", body: "ok", reply: { id: "mid.$1" } });
  assert.equal(message.getChildText("body"), "ok");
  assert.equal(message.getChild("reply", "urn:xmpp:reply:0")?.attrs.id, "mid.$1");
  assert.equal(message.getChild("fallback", "urn:xmpp:fallback:0"), undefined);
});

Deno.test("mentions become XEP-0372 references in code points, shifted past the quote", () => {
  const body = "😀 hi Bob";
  const message = buildChatMessage({
    ...route,
    id: "m",
    body,
    reply: { id: "r", quote: { author: "A", text: "q" } },
    mentions: [
      { jid: "100002@facebook.example.org", offset: body.indexOf("Bob"), length: 3 },
      { jid: "bad@example.org", offset: 1, length: 1 }, // cuts the emoji in half: dropped
      { jid: "empty@example.org", offset: 0, length: 0 }, // empty: dropped
    ],
  });
  const references = message.getChildren("reference", "urn:xmpp:reference:0");
  assert.equal(references.length, 1);
  // Quote "> A wrote:\n> q\n" = 15 code points; "Bob" is at code point 5 of the text.
  assert.deepEqual(references[0].attrs, {
    xmlns: "urn:xmpp:reference:0",
    type: "mention",
    uri: "xmpp:100002@facebook.example.org",
    begin: "20",
    end: "23",
  });
});

Deno.test("a Messenger message with text and attachments: text first, then one per attachment", () => {
  const stanzas = buildContactMessages({
    ...route,
    id: "mid.$3",
    text: "photos!",
    attachments: [
      { url: "https://cdn.example/a.jpg", description: "a.jpg" },
      { url: "https://cdn.example/b.jpg" },
    ],
    reply: { id: "mid.$1", quote: { author: "Bob", text: "send them" } },
  });
  assert.deepEqual(stanzas.map((s) => s.attrs.id), [
    "mid.$3",
    attachmentPartId("mid.$3", 1),
    attachmentPartId("mid.$3", 2),
  ]);
  assert.equal(stanzas[0].getChild("x", "jabber:x:oob"), undefined);
  assert.ok(stanzas[0].getChild("fallback", "urn:xmpp:fallback:0"));
  assertXml(
    stanzas[1],
    `<message type="chat" from="${CONTACT}" to="${USER}" id="mid.$3#1">
      <body>https://cdn.example/a.jpg</body>
      <x xmlns="jabber:x:oob"><url>https://cdn.example/a.jpg</url><desc>a.jpg</desc></x>
      <markable xmlns="urn:xmpp:chat-markers:0"/>
      <origin-id xmlns="urn:xmpp:sid:0" id="mid.$3#1"/>
      <store xmlns="urn:xmpp:hints"/>
    </message>`,
  );
  assert.equal(stanzas[2].getChildText("body"), "https://cdn.example/b.jpg");
});

Deno.test("attachments without text: the first has the message id and the bare <reply>", () => {
  const stanzas = buildContactMessages({
    ...route,
    id: "mid.$4",
    text: " ",
    attachments: [{ url: "https://cdn.example/a.jpg" }, { url: "https://cdn.example/b.jpg" }],
    reply: { id: "mid.$1", quote: { author: "Bob", text: "q" } },
  });
  assert.deepEqual(stanzas.map((s) => s.attrs.id), ["mid.$4", "mid.$4#1"]);
  assert.equal(stanzas[0].getChildText("body"), "https://cdn.example/a.jpg", "body stays the URL");
  assert.equal(stanzas[0].getChild("reply", "urn:xmpp:reply:0")?.attrs.id, "mid.$1");
  assert.equal(stanzas[0].getChild("fallback", "urn:xmpp:fallback:0"), undefined);
  assert.equal(stanzas[1].getChild("reply", "urn:xmpp:reply:0"), undefined);
});

Deno.test("a message with neither text nor attachments is still one (empty) message", () => {
  const stanzas = buildContactMessages({ ...route, id: "m", text: "" });
  assert.equal(stanzas.length, 1);
  assert.equal(stanzas[0].getChildText("body"), "");
});

Deno.test("a text too long for one stanza becomes several messages, mentions kept in place", () => {
  const text = `${"a".repeat(2990)} Bob ${"b".repeat(3000)} Carl end`;
  const carl = text.indexOf("Carl");
  const stanzas = buildContactMessages({
    ...route,
    id: "mid.$5",
    text,
    maxTextLength: 3000,
    reply: { id: "mid.$1", quote: { author: "Bob", text: "x".repeat(5000) } },
    mentions: [
      { jid: "100002@facebook.example.org", offset: 2991, length: 3 },
      { jid: "100003@facebook.example.org", offset: carl, length: 4 },
    ],
    attachments: [{ url: "https://cdn.example/a.jpg" }],
  });
  assert.deepEqual(stanzas.map((s) => s.attrs.id), ["mid.$5", "mid.$5#1", "mid.$5#2", "mid.$5#3"]);
  const bodies = stanzas.slice(0, 3).map((s) => s.getChildText("body")!);
  // The quote only on the first piece, cut short; the pieces give the text back.
  const quote = replyFallbackQuote("Bob", "x".repeat(999) + "…");
  assert.ok(bodies[0].startsWith(quote));
  assert.equal(bodies[0].slice(quote.length) + bodies[1] + bodies[2], text);
  assert.equal(stanzas[1].getChild("reply", "urn:xmpp:reply:0"), undefined);
  const begins = stanzas.slice(0, 3).map((s) =>
    s.getChildren("reference", "urn:xmpp:reference:0").map((r) => r.attrs.begin)
  );
  const firstLength = bodies[0].length - quote.length;
  assert.deepEqual(begins, [
    [String(codePoints(quote) + 2991)],
    [],
    [String(carl - firstLength - bodies[1].length)],
  ]);
  assert.equal(stanzas[3].getChildText("body"), "https://cdn.example/a.jpg");
});

Deno.test("a reaction update lists the sender's current reactions; none removes them", () => {
  assertXml(
    buildReaction({ ...route, id: "r1", target: "mid.$1", emojis: ["👍"] }),
    `<message type="chat" from="${CONTACT}" to="${USER}" id="r1">
      <reactions xmlns="urn:xmpp:reactions:0" id="mid.$1"><reaction>👍</reaction></reactions>
      <store xmlns="urn:xmpp:hints"/>
    </message>`,
  );
  const removal = buildReaction({ ...route, target: "mid.$1", emojis: [] });
  assert.equal(removal.getChild("reactions", "urn:xmpp:reactions:0")?.children.length, 0);
  assert.match(removal.attrs.id ?? "", /^[0-9a-f-]{36}$/, "a random id when none is given");
});

Deno.test("a retraction: v1 element, legacy fastening, fallback marker, fallback body, store", () => {
  assertXml(
    buildRetraction({ ...route, id: "x1", target: "mid.$1" }),
    `<message type="chat" from="${CONTACT}" to="${USER}" id="x1">
      <retract xmlns="urn:xmpp:message-retract:1" id="mid.$1"/>
      <apply-to xmlns="urn:xmpp:fasten:0" id="mid.$1"><retract xmlns="urn:xmpp:message-retract:0"/></apply-to>
      <fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:message-retract:1"/>
      <body>${RETRACTION_FALLBACK_TEXT}</body>
      <store xmlns="urn:xmpp:hints"/>
    </message>`,
  );
});

Deno.test("a displayed marker, a receipt and a chat state", () => {
  assertXml(
    buildDisplayedMarker({ ...route, id: "d1", target: "mid.$1" }),
    `<message type="chat" from="${CONTACT}" to="${USER}" id="d1">
      <displayed xmlns="urn:xmpp:chat-markers:0" id="mid.$1"/>
    </message>`,
  );
  assertXml(
    buildReceipt({ from: CONTACT, to: `${USER}/phone`, id: "k1", target: "client-id-7" }),
    `<message type="chat" from="${CONTACT}" to="${USER}/phone" id="k1">
      <received xmlns="urn:xmpp:receipts" id="client-id-7"/>
    </message>`,
  );
  assertXml(
    buildChatState({ ...route, state: "composing" }),
    `<message type="chat" from="${CONTACT}" to="${USER}">
      <composing xmlns="http://jabber.org/protocol/chatstates"/>
      <no-store xmlns="urn:xmpp:hints"/>
    </message>`,
  );
});

Deno.test("an error bounce comes from the contact with the original id, body and sentence", () => {
  assertXml(
    buildMessageError(
      { from: CONTACT, to: `${USER}/phone`, id: "client-id-7", body: "hi" },
      new StanzaError(
        "recipient-unavailable",
        "Messenger is disconnected: the message was not sent",
      ),
    ),
    `<message type="error" from="${CONTACT}" to="${USER}/phone" id="client-id-7">
      <body>hi</body>
      <error type="wait">
        <recipient-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>
        <text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">Messenger is disconnected: the message was not sent</text>
      </error>
    </message>`,
  );
});
