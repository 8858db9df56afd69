/**
 * Build → parse gives back the same data: what the gateway sends a user is what it would read
 * if a client sent the same thing, for every kind of one-to-one message.
 */

import assert from "node:assert/strict";
import {
  buildChatMessage,
  buildChatState,
  buildContactMessages,
  buildDisplayedMarker,
  buildReaction,
  buildReceipt,
  buildRetraction,
} from "../../src/xmpp/message_build.ts";
import { CHAT_STATES, type MessageAction } from "../../src/gateway/message_actions.ts";
import { parseUserMessage } from "../../src/xmpp/message_parse.ts";
import { type Element, parseXml } from "../../src/xmpp/xml.ts";

const route = { from: "alice@example.org/phone", to: "100001@facebook.example.org" };

/** Serialises and re-parses (as the wire would), then parses into actions. */
function roundTrip(stanza: Element): MessageAction[] {
  const result = parseUserMessage(parseXml(stanza.toString()));
  if (!result.ok) assert.fail(`refused: ${result.error.message}`);
  return result.message.actions;
}

Deno.test("round trip: a text with a reply, its quote and mentions, in any script", () => {
  const text = "👩🏽‍💻 Ann, ask Bob: 你好?\nsecond line";
  const mentions = [
    { jid: "100002@facebook.example.org", offset: text.indexOf("Ann"), length: 3 },
    { jid: "100003@facebook.example.org", offset: text.indexOf("Bob"), length: 3 },
  ];
  const stanza = buildChatMessage({
    ...route,
    id: "x1",
    body: text,
    reply: {
      id: "mid.$1",
      to: "100001@facebook.example.org",
      quote: { author: "Zoë 🎉", text: "> nested\nquote" },
    },
    mentions,
  });
  assert.deepEqual(roundTrip(stanza), [{
    kind: "text",
    content: {
      body: text,
      replyTo: {
        id: "mid.$1",
        to: "100001@facebook.example.org",
        fallback: "> Zoë 🎉 wrote:\n> > nested\n> quote\n",
      },
      attachmentUrls: [],
      mentions,
    },
  }]);
});

Deno.test("round trip: attachment stanzas parse back to their URLs with an empty body", () => {
  const urls = ["https://cdn.example/a.jpg", "https://cdn.example/b.mp4"];
  const stanzas = buildContactMessages({
    ...route,
    id: "mid.$5",
    text: "caption",
    attachments: urls.map((url) => ({ url })),
  });
  assert.deepEqual(stanzas.map(roundTrip), [
    [{ kind: "text", content: { body: "caption", attachmentUrls: [], mentions: [] } }],
    ...urls.map((
      url,
    ) => [{ kind: "text", content: { body: "", attachmentUrls: [url], mentions: [] } }]),
  ]);
});

Deno.test("round trip: reactions, including several and none", () => {
  for (const emojis of [["👍"], ["❤️", "😂", "🇧🇪"], []]) {
    assert.deepEqual(roundTrip(buildReaction({ ...route, target: "mid.$1", emojis })), [
      { kind: "reaction", target: "mid.$1", emojis },
    ]);
  }
});

Deno.test("round trip: a retraction (its fallback body is not read as text)", () => {
  assert.deepEqual(roundTrip(buildRetraction({ ...route, target: "mid.$1" })), [
    { kind: "retraction", target: "mid.$1" },
  ]);
});

Deno.test("round trip: a displayed marker and a receipt", () => {
  assert.deepEqual(roundTrip(buildDisplayedMarker({ ...route, target: "mid.$1" })), [
    { kind: "displayed", target: "mid.$1" },
  ]);
  assert.deepEqual(roundTrip(buildReceipt({ ...route, target: "c-7" })), [
    { kind: "received", target: "c-7" },
  ]);
});

Deno.test("round trip: every chat state", () => {
  for (const state of CHAT_STATES) {
    assert.deepEqual(roundTrip(buildChatState({ ...route, state })), [
      { kind: "chat_state", state },
    ]);
  }
});

Deno.test("round trip: the envelope keeps id, origin-id and markable", () => {
  const result = parseUserMessage(
    parseXml(buildChatMessage({ ...route, id: "mid.$9", body: "hi" }).toString()),
  );
  assert.ok(result.ok);
  assert.equal(result.message.id, "mid.$9");
  assert.equal(result.message.originId, "mid.$9");
  assert.equal(result.message.markable, true);
  assert.equal(result.message.receiptRequested, false);
});
