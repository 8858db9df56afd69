/**
 * The 1:1 message flows of the gateway core on the simulated network, without XML: what a
 * user's parsed actions do on Messenger, and what Messenger events the user is shown.
 */
import assert from "node:assert/strict";
import type { ParsedMessage } from "../../src/gateway/message_actions.ts";
import type { CorrectionPolicy } from "../../src/gateway/outgoing_messages.ts";
import {
  type Chat,
  type ChatMessage,
  type MessageFailure,
  type Speaker,
  XmppUnavailable,
} from "../../src/gateway/xmpp_port.ts";
import { asThreadId, asUserId } from "../../src/messenger/ids.ts";
import { NullXmppPort } from "./_null_port.ts";
import { ALICE, ALICE_AND_BOB_WORLD, aliceCore } from "./_core.ts";
import { waitUntil } from "../_wait.ts";

const WORLD = `${ALICE_AND_BOB_WORLD}  [[account.friend]]
  id = "200003"
  name = "Carla"
`;
const BOB = asThreadId("200002");

class Port extends NullXmppPort {
  readonly messages: ChatMessage[] = [];
  readonly own: ChatMessage[] = [];
  readonly failures: MessageFailure[] = [];
  readonly notices: string[] = [];
  /** Sends that fail as if the connection had just dropped, before any succeeds. */
  failSends = 0;
  attempts = 0;
  failOwn = 0;
  override message(_chat: Chat, speaker: Speaker, message: ChatMessage): Promise<string[]> {
    if (speaker.self) {
      if (this.failOwn > 0) {
        this.failOwn--;
        return Promise.reject(new XmppUnavailable("connection dropped"));
      }
      this.own.push(message);
      return Promise.resolve([message.id]);
    }
    this.attempts++;
    if (this.failSends > 0) {
      this.failSends--;
      return Promise.reject(new XmppUnavailable("connection dropped"));
    }
    this.messages.push(message);
    return Promise.resolve([message.id]);
  }
  override messageFailed(_c: string, _chat: Chat, _id: string | undefined, f: MessageFailure) {
    this.failures.push(f);
    return Promise.resolve();
  }
  override gatewayMessage(_u: string, text: string): Promise<void> {
    this.notices.push(text);
    return Promise.resolve();
  }
}

async function fixture(correctionPolicy: CorrectionPolicy = "resend") {
  const port = new Port();
  const core = await aliceCore(port, {
    world: WORLD,
    config: (config) => (config.messages.correction = correctionPolicy),
  });
  const { network } = core;
  const send = async (message: ParsedMessage) => {
    core.port.sendMessage(ALICE, `${ALICE}/phone`, { thread: BOB, kind: "direct" }, message);
    await core.settled(ALICE, BOB);
    await network.control.idle();
  };
  return {
    network,
    port,
    counters: core.gateway.counters,
    core,
    send,
    ops: () => network.control.operations("100001").operations,
    [Symbol.asyncDispose]: () => core[Symbol.asyncDispose](),
  };
}

function text(id: string, body: string, extra: Partial<ParsedMessage> = {}): ParsedMessage {
  return {
    type: "chat",
    id,
    receiptRequested: false,
    markable: false,
    actions: [{ kind: "text", content: { body, attachmentUrls: [], mentions: [] } }],
    ...extra,
  };
}

Deno.test("retract_and_resend unsends the corrected message and sends the new text", async () => {
  await using t = await fixture("retract_and_resend");
  await t.send(text("x-1", "at 8"));
  await t.send({
    type: "chat",
    id: "x-2",
    receiptRequested: false,
    markable: false,
    actions: [{
      kind: "correction",
      target: "x-1",
      content: { body: "at 9", attachmentUrls: [], mentions: [] },
    }],
  });
  const ops = t.ops();
  const first = ops.find((op) => op.method === "sendMessage" && op.text === "at 8");
  assert.ok(first && first.method === "sendMessage");
  const unsend = ops.find((op) => op.method === "unsend");
  assert.equal(unsend && "messageId" in unsend ? unsend.messageId : undefined, first.messageId);
  assert.ok(ops.some((op) => op.method === "sendMessage" && op.text === "at 9"));
  const notices = t.port.notices.filter((notice) => /cannot edit/.test(notice));
  assert.equal(notices.length, 1);
  assert.match(notices[0], /unsent/);
});

Deno.test("typing is sent once per throttle window, stopping always goes through", async () => {
  await using t = await fixture();
  const state = (s: "composing" | "paused"): ParsedMessage => ({
    type: "chat",
    receiptRequested: false,
    markable: false,
    actions: [{ kind: "chat_state", state: s }],
  });
  await t.send(state("composing"));
  await t.send(state("composing"));
  await t.send(state("composing"));
  await t.send(state("paused"));
  const typing = t.ops().filter((op) => op.method === "setTyping").map((op) =>
    "typing" in op ? op.typing : undefined
  );
  assert.deepEqual(typing, [true, false]);
});

Deno.test("mentions of contacts become Messenger mentions, and incoming ones keep their ids", async () => {
  await using t = await fixture();
  await t.send({
    type: "chat",
    id: "x-3",
    receiptRequested: false,
    markable: false,
    actions: [{
      kind: "text",
      content: {
        body: "Carla, look",
        attachmentUrls: [],
        mentions: [{ jid: "200003@facebook.example.org", offset: 0, length: 5 }],
      },
    }],
  });
  const sent = t.ops().find((op) => op.method === "sendMessage");
  assert.deepEqual(sent && "mentions" in sent ? sent.mentions : undefined, [
    { user: "200003", offset: 0, length: 5 },
  ]);
  await t.network.control.inject("100001", {
    type: "message",
    sender: "200002",
    text: "Alice!",
    mentions: [{ user: "100001", offset: 0, length: 5 }],
  });
  await waitUntil(() => t.port.messages.length === 1);
  assert.deepEqual(t.port.messages[0].mentions, [{
    user: asUserId("100001"),
    offset: 0,
    length: 5,
  }]);
  assert.equal(t.port.messages[0].self, "100001");
});

Deno.test("a Messenger message delivered twice is shown once, and counted once", async () => {
  await using t = await fixture();
  const [event] = await t.network.control.inject("100001", {
    type: "message",
    sender: "200002",
    text: "once",
  });
  await waitUntil(() => t.port.messages.length === 1);
  await t.network.control.redeliver("100001", event.type === "message" ? event.id : "");
  await t.network.control.inject("100001", { type: "message", sender: "200002", text: "twice" });
  await waitUntil(() => t.port.messages.length === 2);
  assert.deepEqual(t.port.messages.map((m) => m.text), ["once", "twice"]);
  assert.equal(t.counters.toXmpp, 2);
});

Deno.test("a message whose send fails as the connection drops is tried again, a bounded number of times", async () => {
  await using t = await fixture();
  t.port.failSends = 2;
  await t.network.control.inject("100001", { type: "message", sender: "200002", text: "third" });
  await waitUntil(() => t.port.messages.length === 1, "the third attempt");
  assert.equal(t.port.attempts, 3);
  assert.equal(t.counters.toXmpp, 1);

  t.port.failSends = 10;
  await t.network.control.inject("100001", { type: "message", sender: "200002", text: "lost" });
  await waitUntil(() => t.port.attempts === 6, "three more attempts");
  await t.core.settled(ALICE, BOB);
  assert.equal(t.port.attempts, 6, "no endless retrying");
  assert.deepEqual(t.port.messages.map((m) => m.text), ["third"]);
  // The conversation goes on with the next message.
  t.port.failSends = 0;
  await t.network.control.inject("100001", { type: "message", sender: "200002", text: "next" });
  await waitUntil(() => t.port.messages.length === 2, "the next message");
  assert.equal(t.port.messages[1].text, "next");
});

Deno.test("the user's own message from the phone is reflected after a failed first try", async () => {
  await using t = await fixture();
  t.port.failOwn = 1;
  await t.network.control.inject("100001", {
    type: "message",
    sender: "100001",
    thread: "200002",
    text: "Sent from my phone",
  });
  await waitUntil(() => t.port.own.length === 1, "the reflected message");
  assert.equal(t.port.own[0].text, "Sent from my phone");
});

Deno.test("a reaction to a message the gateway never saw fails as item_not_found", async () => {
  await using t = await fixture();
  await t.send({
    type: "chat",
    id: "x-4",
    receiptRequested: false,
    markable: false,
    actions: [{ kind: "reaction", target: "unknown-id", emojis: ["👍"] }],
  });
  assert.deepEqual(t.port.failures.map((f) => f.kind), ["item_not_found"]);
  assert.ok(!t.ops().some((op) => op.method === "react"));
});
