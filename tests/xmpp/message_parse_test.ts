import assert from "node:assert/strict";
import type { MessageAction, ParsedMessage } from "../../src/gateway/message_actions.ts";
import { MessageParseError } from "../../src/xmpp/message_parse_error.ts";
import { parseUserMessage } from "../../src/xmpp/message_parse.ts";
import { StanzaError } from "../../src/xmpp/stanza_error.ts";
import { type Element, parseXml, xml } from "../../src/xmpp/xml.ts";

const CONTACT = "100001@facebook.example.org";

/** Parses an XML literal and expects it to be accepted. */
function accepted(stanza: string | Element): ParsedMessage {
  const result = parseUserMessage(typeof stanza === "string" ? parseXml(stanza) : stanza);
  if (!result.ok) assert.fail(`refused: ${result.error.message}`);
  return result.message;
}

/** Parses and expects a refusal; returns the error. */
function refused(stanza: string | Element): MessageParseError {
  const result = parseUserMessage(typeof stanza === "string" ? parseXml(stanza) : stanza);
  if (result.ok) assert.fail(`accepted: ${JSON.stringify(result.message)}`);
  assert.ok(result.error instanceof MessageParseError);
  assert.ok(result.error instanceof StanzaError, "usable as a stanza error");
  return result.error;
}

/** A minimal chat message to the contact with the given children. */
function chat(children: string, attrs = `id="m1"`): string {
  return `<message to="${CONTACT}" type="chat" ${attrs}>${children}</message>`;
}

function only(message: ParsedMessage): MessageAction {
  assert.equal(message.actions.length, 1, JSON.stringify(message.actions));
  return message.actions[0];
}

// What real clients send.

Deno.test("Conversations: a reply with a fallback range, receipt request, marker and state", () => {
  const message = accepted(`
    <message xmlns="jabber:client" to="${CONTACT}" type="chat" id="3f1c8a62">
      <body>&gt; We should bake a cake
Great idea!</body>
      <reply xmlns="urn:xmpp:reply:0" to="${CONTACT}" id="mid.$cAAA1"/>
      <fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="24"/></fallback>
      <request xmlns="urn:xmpp:receipts"/>
      <markable xmlns="urn:xmpp:chat-markers:0"/>
      <origin-id xmlns="urn:xmpp:sid:0" id="3f1c8a62"/>
      <active xmlns="http://jabber.org/protocol/chatstates"/>
    </message>`);
  assert.equal(message.type, "chat");
  assert.equal(message.id, "3f1c8a62");
  assert.equal(message.originId, "3f1c8a62");
  assert.equal(message.receiptRequested, true);
  assert.equal(message.markable, true);
  assert.deepEqual(message.actions, [
    {
      kind: "text",
      content: {
        body: "Great idea!",
        replyTo: { id: "mid.$cAAA1", to: CONTACT, fallback: "> We should bake a cake\n" },
        attachmentUrls: [],
        mentions: [],
      },
    },
    { kind: "chat_state", state: "active" },
  ]);
});

Deno.test("Gajim / XEP-0461 example: '> Anna wrote:' fallback in the legacy namespace", () => {
  const message = accepted(chat(`
    <body>&gt; Anna wrote:
&gt; We should bake a cake
Great idea!</body>
    <reply to="anna@example.com/laptop" id="message-id1" xmlns="urn:xmpp:reply:0"/>
    <fallback xmlns="urn:xmpp:feature-fallback:0" for="urn:xmpp:reply:0">
      <body start="0" end="38"/>
    </fallback>`));
  const action = only(message);
  assert.equal(action.kind, "text");
  assert.equal(action.content.body, "Great idea!");
  assert.equal(action.content.replyTo?.id, "message-id1");
  assert.equal(action.content.replyTo?.to, "anna@example.com/laptop");
});

Deno.test("Dino: a reply whose range stops before the newline loses the newline too", () => {
  const message = accepted(chat(`
    <body>&gt; Anna: cake? 🎂
yes 😋</body>
    <reply xmlns="urn:xmpp:reply:0" to="${CONTACT}" id="mid.$x"/>
    <fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="16"/></fallback>`));
  const action = only(message);
  assert.equal(action.kind, "text");
  assert.equal(action.content.body, "yes 😋");
});

Deno.test("a reply without fallback ranges loses its leading '> ' quote block", () => {
  const message = accepted(chat(`
    <body>&gt; Bob wrote:
&gt; line one
&gt; line two

my answer
second line</body>
    <reply xmlns="urn:xmpp:reply:0" id="mid.$q"/>`));
  const action = only(message);
  assert.equal(action.kind, "text");
  assert.equal(action.content.body, "my answer\nsecond line");
  assert.equal(action.content.replyTo?.fallback, "> Bob wrote:\n> line one\n> line two\n\n");
});

Deno.test("without a reply element, a leading quote is the user's text and stays", () => {
  const action = only(accepted(chat(`<body>&gt; quoting myself
and more</body>`)));
  assert.equal(action.kind, "text");
  assert.equal(action.content.body, "> quoting myself\nand more");
  assert.equal(action.content.replyTo, undefined);
});

Deno.test("a reply that is nothing but a quote keeps its body", () => {
  const action = only(accepted(chat(`<body>&gt; just this</body>
    <reply xmlns="urn:xmpp:reply:0" id="mid.$q"/>`)));
  assert.equal(action.kind, "text");
  assert.equal(action.content.body, "> just this");
});

Deno.test("invalid fallback ranges are ignored and the quote heuristic applies", () => {
  const action = only(accepted(chat(`<body>&gt; q
answer</body>
    <reply xmlns="urn:xmpp:reply:0" id="mid.$q"/>
    <fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="9" end="2"/></fallback>`)));
  assert.equal(action.kind, "text");
  assert.equal(action.content.body, "answer");
});

Deno.test("a fallback for another feature does not cut the reply text", () => {
  const action = only(accepted(chat(`<body>hello there</body>
    <reply xmlns="urn:xmpp:reply:0" id="mid.$q"/>
    <fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:other:0"><body start="0" end="5"/></fallback>`)));
  assert.equal(action.kind, "text");
  assert.equal(action.content.body, "hello there");
});

Deno.test("Dino: a reaction", () => {
  const message = accepted(`
    <message to="${CONTACT}" type="chat" id="c0ffee">
      <reactions xmlns="urn:xmpp:reactions:0" id="mid.$cAAA1"><reaction>👍</reaction></reactions>
      <store xmlns="urn:xmpp:hints"/>
    </message>`);
  assert.deepEqual(message.actions, [{ kind: "reaction", target: "mid.$cAAA1", emojis: ["👍"] }]);
});

Deno.test("reactions: several, duplicates collapsed, ZWJ and flag sequences, bare pictographs", () => {
  const action = only(accepted(chat(`
    <reactions xmlns="urn:xmpp:reactions:0" id="mid.$r">
      <reaction>❤️</reaction><reaction>❤</reaction><reaction>👨‍👩‍👧‍👦</reaction>
      <reaction>🇫🇷</reaction><reaction>👍🏽</reaction><reaction>👍🏽</reaction><reaction> </reaction>
    </reactions>`)));
  assert.equal(action.kind, "reaction");
  assert.deepEqual(action.emojis, ["❤️", "❤", "👨‍👩‍👧‍👦", "🇫🇷", "👍🏽"]);
});

Deno.test("an empty reactions element removes the user's reactions", () => {
  const action = only(accepted(chat(`<reactions xmlns="urn:xmpp:reactions:0" id="mid.$r"/>`)));
  assert.deepEqual(action, { kind: "reaction", target: "mid.$r", emojis: [] });
});

Deno.test("Conversations: a correction", () => {
  const message = accepted(chat(
    `
    <body>fixed tpyo, I mean typo</body>
    <replace xmlns="urn:xmpp:message-correct:0" id="orig-1"/>
    <origin-id xmlns="urn:xmpp:sid:0" id="m2"/>
    <request xmlns="urn:xmpp:receipts"/>
    <markable xmlns="urn:xmpp:chat-markers:0"/>`,
    `id="m2"`,
  ));
  assert.deepEqual(only(message), {
    kind: "correction",
    target: "orig-1",
    content: { body: "fixed tpyo, I mean typo", attachmentUrls: [], mentions: [] },
  });
});

Deno.test("an empty correction is a retraction of the corrected message", () => {
  const action = only(accepted(chat(`<body>  </body>
    <replace xmlns="urn:xmpp:message-correct:0" id="orig-1"/>`)));
  assert.deepEqual(action, { kind: "retraction", target: "orig-1" });
  const noBody = only(accepted(chat(`<replace xmlns="urn:xmpp:message-correct:0" id="o2"/>`)));
  assert.deepEqual(noBody, { kind: "retraction", target: "o2" });
});

Deno.test("XEP-0424 v1 retraction; its fallback body is not sent as text", () => {
  const message = accepted(chat(`
    <retract xmlns="urn:xmpp:message-retract:1" id="orig-1"/>
    <fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:message-retract:1"/>
    <body>/me retracted a previous message, but it's unsupported by your client.</body>
    <store xmlns="urn:xmpp:hints"/>`));
  assert.deepEqual(message.actions, [{ kind: "retraction", target: "orig-1" }]);
});

Deno.test("the older fastening form of retraction is understood", () => {
  const message = accepted(chat(`
    <apply-to xmlns="urn:xmpp:fasten:0" id="orig-2">
      <retract xmlns="urn:xmpp:message-retract:0"/>
    </apply-to>
    <fallback xmlns="urn:xmpp:fallback:0"/>
    <body>This person attempted to retract a previous message, but it's unsupported by your client.</body>`));
  assert.deepEqual(message.actions, [{ kind: "retraction", target: "orig-2" }]);
});

Deno.test("a fastening that is not a retraction is not one", () => {
  const message = accepted(chat(`<body>hi</body>
    <apply-to xmlns="urn:xmpp:fasten:0" id="x"><something xmlns="urn:example"/></apply-to>`));
  assert.equal(only(message).kind, "text");
});

Deno.test("Conversations file upload: body equal to the OOB URL is dropped", () => {
  const url = "https://upload.example.org/abc/photo%201.jpg";
  const action = only(accepted(chat(`<body>${url}</body>
    <x xmlns="jabber:x:oob"><url>${url}</url></x>`)));
  assert.deepEqual(action, {
    kind: "text",
    content: { body: "", attachmentUrls: [url], mentions: [] },
  });
});

Deno.test("an OOB message with a caption keeps the caption; several URLs are kept in order", () => {
  const action = only(accepted(chat(`<body>look at these</body>
    <x xmlns="jabber:x:oob"><url>https://a.example/1.png</url><desc>one</desc></x>
    <x xmlns="jabber:x:oob"><url> https://a.example/2.png </url></x>`)));
  assert.equal(action.kind, "text");
  assert.equal(action.content.body, "look at these");
  assert.deepEqual(action.content.attachmentUrls, [
    "https://a.example/1.png",
    "https://a.example/2.png",
  ]);
});

Deno.test("an OOB-only message without body is an attachment", () => {
  const action = only(
    accepted(chat(`<x xmlns="jabber:x:oob"><url>http://a.example/f.pdf</url></x>`)),
  );
  assert.equal(action.kind, "text");
  assert.deepEqual(action.content.attachmentUrls, ["http://a.example/f.pdf"]);
});

Deno.test("mentions become UTF-16 offsets into the body after the fallback is removed", () => {
  const body = "> 😀 said\nhey 🙂 Bob and Ann";
  const action = only(accepted(chat(`<body>${body.replace(">", "&gt;")}</body>
    <reply xmlns="urn:xmpp:reply:0" id="mid.$q"/>
    <fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="9"/></fallback>
    <reference xmlns="urn:xmpp:reference:0" type="mention" uri="xmpp:100002@facebook.example.org" begin="15" end="18"/>
    <reference xmlns="urn:xmpp:reference:0" type="mention" uri="xmpp:100003@facebook.example.org?message" begin="23" end="26"/>
    <reference xmlns="urn:xmpp:reference:0" type="mention" uri="xmpp:quoted@example.org" begin="2" end="3"/>
    <reference xmlns="urn:xmpp:reference:0" type="data" uri="https://example.org" begin="0" end="3"/>
    <reference xmlns="urn:xmpp:reference:0" type="mention" uri="https://not-xmpp" begin="0" end="3"/>`)));
  assert.equal(action.kind, "text");
  assert.equal(action.content.body, "hey 🙂 Bob and Ann");
  assert.deepEqual(action.content.mentions, [
    { jid: "100002@facebook.example.org", offset: 7, length: 3 },
    { jid: "100003@facebook.example.org", offset: 15, length: 3 },
  ]);
  const { body: text, mentions } = action.content;
  assert.equal(text.slice(mentions[0].offset, mentions[0].offset + mentions[0].length), "Bob");
  assert.equal(text.slice(mentions[1].offset, mentions[1].offset + mentions[1].length), "Ann");
});

Deno.test("displayed and acknowledged markers mark read; received markers and receipts are acks", () => {
  assert.deepEqual(
    accepted(
      chat(
        `<displayed xmlns="urn:xmpp:chat-markers:0" id="mid.$1"/><store xmlns="urn:xmpp:hints"/>`,
      ),
    )
      .actions,
    [{ kind: "displayed", target: "mid.$1" }],
  );
  assert.deepEqual(
    accepted(chat(`<acknowledged xmlns="urn:xmpp:chat-markers:0" id="mid.$2"/>`)).actions,
    [{ kind: "displayed", target: "mid.$2" }],
  );
  assert.deepEqual(
    accepted(chat(`<received xmlns="urn:xmpp:receipts" id="mid.$3"/>`)).actions,
    [{ kind: "received", target: "mid.$3" }],
  );
  assert.deepEqual(
    accepted(chat(`<received xmlns="urn:xmpp:chat-markers:0" id="mid.$4"/>`)).actions,
    [{ kind: "received", target: "mid.$4" }],
  );
});

Deno.test("each chat state is read; a standalone one is the only action", () => {
  for (const state of ["active", "composing", "paused", "inactive", "gone"] as const) {
    const message = accepted(chat(
      `<${state} xmlns="http://jabber.org/protocol/chatstates"/><no-store xmlns="urn:xmpp:hints"/>`,
      "",
    ));
    assert.deepEqual(message.actions, [{ kind: "chat_state", state }]);
    assert.equal(message.id, undefined);
  }
});

Deno.test("actions come in application order: content, marker, chat state", () => {
  const message = accepted(chat(`<body>hi</body>
    <paused xmlns="http://jabber.org/protocol/chatstates"/>
    <displayed xmlns="urn:xmpp:chat-markers:0" id="mid.$1"/>`));
  assert.deepEqual(message.actions.map((a) => a.kind), ["text", "displayed", "chat_state"]);
});

Deno.test("message types: missing or unknown is normal; error messages give no actions", () => {
  assert.equal(accepted(`<message to="${CONTACT}"><body>hi</body></message>`).type, "normal");
  assert.equal(accepted(`<message type="weird"><body>hi</body></message>`).type, "normal");
  assert.equal(accepted(`<message type="groupchat"><body>hi</body></message>`).type, "groupchat");
  const bounce = accepted(`<message type="error" id="e1"><error type="cancel">
    <service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></message>`);
  assert.deepEqual(bounce, {
    type: "error",
    id: "e1",
    receiptRequested: false,
    markable: false,
    actions: [],
  });
});

Deno.test("a body with xml:lang variants: the one without a language wins", () => {
  const action = only(accepted(chat(`<body xml:lang="de">Hallo</body><body>Hello</body>`)));
  assert.equal(action.kind === "text" && action.content.body, "Hello");
  const first = only(
    accepted(chat(`<body xml:lang="de">Hallo</body><body xml:lang="fr">Salut</body>`)),
  );
  assert.equal(first.kind === "text" && first.content.body, "Hallo");
});

Deno.test("unicode, emoji and surrogate pairs pass through untouched", () => {
  const text = "héllo 𝕏 👩🏽‍💻 مرحبا 你好";
  const action = only(accepted(xml("message", { type: "chat" }, xml("body", {}, text))));
  assert.equal(action.kind === "text" && action.content.body, text);
});

// Malformed and absurd input.

Deno.test("an empty message is refused as not-acceptable", () => {
  for (
    const stanza of [
      chat(""),
      chat("<body></body>"),
      chat("<body>   </body>"),
      chat(`<request xmlns="urn:xmpp:receipts"/>`),
    ]
  ) {
    const error = refused(stanza);
    assert.equal(error.condition, "not-acceptable");
    assert.match(error.text ?? "", /^The message is empty/);
  }
});

Deno.test("a 5000-character id is refused wherever it appears", () => {
  const long = "x".repeat(5000);
  const cases: [string, RegExp][] = [
    [chat("<body>hi</body>", `id="${long}"`), /^The message id is too long: 5000 characters/],
    [
      chat(`<body>hi</body><origin-id xmlns="urn:xmpp:sid:0" id="${long}"/>`),
      /origin-id is too long/,
    ],
    [
      chat(
        `<reactions xmlns="urn:xmpp:reactions:0" id="${long}"><reaction>👍</reaction></reactions>`,
      ),
      /in the reaction is too long/,
    ],
    [
      chat(`<retract xmlns="urn:xmpp:message-retract:1" id="${long}"/>`),
      /in the retraction is too long/,
    ],
    [
      chat(`<body>a</body><replace xmlns="urn:xmpp:message-correct:0" id="${long}"/>`),
      /in the correction is too long/,
    ],
    [
      chat(`<displayed xmlns="urn:xmpp:chat-markers:0" id="${long}"/>`),
      /in the read marker is too long/,
    ],
    [
      chat(`<body>a</body><reply xmlns="urn:xmpp:reply:0" id="${long}"/>`),
      /replied message is too long/,
    ],
  ];
  for (const [stanza, text] of cases) {
    const error = refused(stanza);
    assert.equal(error.condition, "bad-request");
    assert.match(error.text ?? "", text);
  }
});

Deno.test("ids that are missing or empty where one is required are refused", () => {
  const cases: [string, RegExp][] = [
    [
      chat(`<reactions xmlns="urn:xmpp:reactions:0"><reaction>👍</reaction></reactions>`),
      /^The reaction names no message/,
    ],
    [chat(`<retract xmlns="urn:xmpp:message-retract:1"/>`), /^The retraction names no message/],
    [
      chat(`<body>a</body><replace xmlns="urn:xmpp:message-correct:0"/>`),
      /^The correction names no message/,
    ],
    [chat(`<displayed xmlns="urn:xmpp:chat-markers:0"/>`), /^The read marker names no message/],
    [chat(`<received xmlns="urn:xmpp:receipts"/>`), /^The receipt names no message/],
    [chat(`<body>a</body><reply xmlns="urn:xmpp:reply:0"/>`), /^The reply names no message/],
    [chat(`<body>a</body>`, `id=""`), /^The message id is empty/],
  ];
  for (const [stanza, text] of cases) {
    const error = refused(stanza);
    assert.equal(error.condition, "bad-request");
    assert.match(error.text ?? "", text);
  }
});

Deno.test("a reaction with 50 emoji is refused as not-acceptable", () => {
  const emojis = Array.from({ length: 50 }, (_, i) => String.fromCodePoint(0x1f600 + i));
  const error = refused(chat(
    `<reactions xmlns="urn:xmpp:reactions:0" id="mid.$1">${
      emojis.map((e) => `<reaction>${e}</reaction>`).join("")
    }</reactions>`,
  ));
  assert.equal(error.condition, "not-acceptable");
  assert.equal(error.text, "Too many reactions to one message: 50 (at most 16)");
});

Deno.test("a reaction that is not an emoji, or absurdly long, is refused", () => {
  const text = refused(chat(
    `<reactions xmlns="urn:xmpp:reactions:0" id="m"><reaction>+1</reaction></reactions>`,
  ));
  assert.equal(text.condition, "not-acceptable");
  assert.equal(text.text, "A reaction must be one emoji, not: +1");
  const two = refused(chat(
    `<reactions xmlns="urn:xmpp:reactions:0" id="m"><reaction>👍👍</reaction></reactions>`,
  ));
  assert.equal(two.condition, "not-acceptable");
  const long = refused(chat(
    `<reactions xmlns="urn:xmpp:reactions:0" id="m"><reaction>${
      "👍".repeat(40)
    }</reaction></reactions>`,
  ));
  assert.match(long.text ?? "", /^A reaction is too long: 80 characters/);
});

Deno.test("lone surrogates in the body, an id, a reaction or a URL are refused", () => {
  const lone = "a\uD800b";
  const cases: Element[] = [
    xml("message", { type: "chat" }, xml("body", {}, lone)),
    xml("message", { type: "chat", id: lone }, xml("body", {}, "hi")),
    xml(
      "message",
      { type: "chat" },
      xml("reactions", { xmlns: "urn:xmpp:reactions:0", id: "m" }, xml("reaction", {}, "\uDC00")),
    ),
    xml(
      "message",
      { type: "chat" },
      xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, `https://a.example/${lone}`)),
    ),
  ];
  for (const stanza of cases) {
    const error = refused(stanza);
    assert.equal(error.condition, "bad-request");
    assert.match(error.text ?? "", /contains invalid characters$/);
  }
});

Deno.test("an oversized body is refused as not-acceptable; the limit is configurable", () => {
  const result = parseUserMessage(parseXml(chat(`<body>${"a".repeat(101)}</body>`)), {
    maxBodyLength: 100,
  });
  assert.ok(!result.ok);
  assert.equal(result.error.condition, "not-acceptable");
  assert.equal(result.error.text, "The message is too long: 101 characters (at most 100)");
});

Deno.test("attachment URLs that are not http(s), too many or too long are refused", () => {
  const ftp = refused(chat(`<x xmlns="jabber:x:oob"><url>ftp://a.example/f</url></x>`));
  assert.equal(ftp.condition, "bad-request");
  assert.equal(ftp.text, "The attachment address is not an http(s) URL: ftp://a.example/f");
  const garbage = refused(chat(`<x xmlns="jabber:x:oob"><url>not a url</url></x>`));
  assert.equal(garbage.condition, "bad-request");
  const many = refused(chat(
    Array.from(
      { length: 11 },
      (_, i) => `<x xmlns="jabber:x:oob"><url>https://a.example/${i}</url></x>`,
    )
      .join(""),
  ));
  assert.equal(many.condition, "not-acceptable");
  assert.equal(many.text, "Too many attachments in one message: 11 (at most 10)");
  const long = refused(
    chat(`<x xmlns="jabber:x:oob"><url>https://a.example/${"a".repeat(5000)}</url></x>`),
  );
  assert.match(long.text ?? "", /^The attachment address is too long/);
});

Deno.test("encrypted messages are refused with a sentence saying to turn encryption off", () => {
  for (
    const payload of [
      `<encrypted xmlns="eu.siacs.conversations.axolotl"><header sid="1"/></encrypted>`,
      `<encrypted xmlns="urn:xmpp:omemo:2"/>`,
      `<openpgp xmlns="urn:xmpp:openpgp:0">BASE64</openpgp>`,
      `<x xmlns="jabber:x:encrypted">BASE64</x>`,
      `<encryption xmlns="urn:xmpp:eme:0" namespace="urn:xmpp:otr:0"/>`,
    ]
  ) {
    const error = refused(chat(`<body>I sent you an OMEMO encrypted message</body>${payload}`));
    assert.equal(error.condition, "not-acceptable");
    assert.match(error.text ?? "", /^Encrypted messages cannot be bridged to Messenger/);
  }
});

Deno.test("something that is not a message is refused, never thrown", () => {
  const error = refused(`<presence/>`);
  assert.equal(error.condition, "bad-request");
  assert.equal(error.text, "Expected a message, got a presence");
});

Deno.test("an unexpected failure inside the parser becomes a bad-request, never a throw", () => {
  const hostile = parseXml(chat("<body>hi</body>"));
  hostile.getChild = () => {
    throw new TypeError("boom");
  };
  const error = refused(hostile);
  assert.equal(error.condition, "bad-request");
  assert.equal(error.text, "The message could not be read");
});

Deno.test("a parse error becomes the right error reply stanza", () => {
  const error = refused(
    chat(`<reactions xmlns="urn:xmpp:reactions:0" id="m"><reaction>x</reaction></reactions>`),
  );
  const element = error.toElement();
  assert.equal(element.attrs.type, "modify");
  assert.ok(element.getChild("not-acceptable", "urn:ietf:params:xml:ns:xmpp-stanzas"));
  assert.equal(element.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas"), error.text);
});

Deno.test("an unusable reply author is dropped, the reply kept", () => {
  const action = only(accepted(chat(
    `<body>ok</body><reply xmlns="urn:xmpp:reply:0" id="mid.$1" to="${"a".repeat(4000)}"/>`,
  )));
  assert.equal(action.kind, "text");
  assert.deepEqual(action.content.replyTo, { id: "mid.$1" });
});
