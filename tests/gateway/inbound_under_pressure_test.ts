/**
 * Issue 12, fault 1: a friend's message must never be dropped because the user filled their
 * conversation with outgoing messages. With Messenger slow (a latency fault on sendMessage, and
 * the first send held until the test lets it finish), the user writes 300 messages to Bob at once:
 * 256 wait (the conversation's allowance for the user's messages), the 44 others are refused
 * with an error. Bob's message arriving then is queued all the same and shown, after the user's
 * messages that were ahead of it.
 */
import assert from "node:assert/strict";
import type { ParsedMessage } from "../../src/gateway/message_actions.ts";
import { DEFAULT_TO_MESSENGER_LIMIT } from "../../src/gateway/conversation_queue.ts";
import { MessageRefused } from "../../src/gateway/outgoing_messages.ts";
import type { Chat, ChatMessage, Speaker } from "../../src/gateway/xmpp_port.ts";
import { asThreadId } from "../../src/messenger/ids.ts";
import { waitUntil } from "../_wait.ts";
import { NullXmppPort } from "./_null_port.ts";
import { ALICE, ALICE_AND_BOB_WORLD, aliceCore } from "./_core.ts";

const WORLD = ALICE_AND_BOB_WORLD;
const BOB = asThreadId("200002");
const SENT = 300;

/** Records what the user is shown; holds the first receipt until `release`. */
class Port extends NullXmppPort {
  readonly shown: ChatMessage[] = [];
  readonly receipts: string[] = [];
  release!: () => void;
  readonly #held = new Promise<void>((resolve) => (this.release = resolve));
  override message(_chat: Chat, speaker: Speaker, message: ChatMessage): Promise<string[]> {
    if (!speaker.self) this.shown.push(message);
    return Promise.resolve([message.id]);
  }
  override async messageDelivered(_chat: Chat, id: string): Promise<void> {
    if (this.receipts.length === 0) {
      this.receipts.push(id);
      await this.#held;
      return;
    }
    this.receipts.push(id);
  }
}

function text(n: number): ParsedMessage {
  return {
    type: "chat",
    id: `out-${n}`,
    receiptRequested: true,
    markable: false,
    actions: [{ kind: "text", content: { body: `out ${n}`, attachmentUrls: [], mentions: [] } }],
  };
}

Deno.test("a friend's message is delivered while the user's outgoing allowance is full", async () => {
  const port = new Port();
  await using core = await aliceCore(port, { world: WORLD });
  core.network.control.addFaults("100001", { kind: "latency", method: "sendMessage", ms: 2 });

  let refused = 0;
  for (let n = 1; n <= SENT; n++) {
    try {
      core.port.sendMessage(ALICE, `${ALICE}/phone`, { thread: BOB, kind: "direct" }, text(n));
    } catch (error) {
      assert.ok(error instanceof MessageRefused, String(error));
      assert.match(error.message, /Too many messages are waiting/);
      refused++;
    }
  }
  const queue = core.gateway.session(ALICE)!.conversations.get(BOB)!.queue;
  assert.equal(queue.held("to_messenger"), DEFAULT_TO_MESSENGER_LIMIT);

  // Bob writes while the user's allowance is used up (the first send is still being confirmed).
  await core.network.control.inject("100001", {
    type: "message",
    sender: "200002",
    text: "are you there?",
  });
  await waitUntil(() => queue.held("to_xmpp") === 1, "Bob's message to be queued");
  assert.equal(queue.held("to_messenger"), DEFAULT_TO_MESSENGER_LIMIT, "still full meanwhile");

  port.release();
  await waitUntil(() => port.shown.length === 1, "Bob's message to be shown");
  await core.settled(ALICE, BOB);
  await core.network.control.idle();
  const sends = core.network.control.operations("100001").operations
    .flatMap((op) => op.method === "sendMessage" && op.text ? [op.text] : []);
  const delivered = new Set(sends).size;
  const duplicated = sends.length - delivered;
  const lost = SENT - delivered - refused;
  console.log(
    `inbound under outbound pressure: the user sent ${SENT}, delivered ${delivered}, refused ` +
      `with an error ${refused}, lost ${lost}, duplicated ${duplicated}; the friend sent 1, ` +
      `delivered ${port.shown.length}`,
  );
  assert.equal(port.shown[0].text, "are you there?");
  assert.equal(delivered, DEFAULT_TO_MESSENGER_LIMIT);
  assert.equal(refused, SENT - DEFAULT_TO_MESSENGER_LIMIT);
  assert.equal(lost, 0);
  assert.equal(duplicated, 0);
  assert.equal(port.receipts.length, DEFAULT_TO_MESSENGER_LIMIT, "each delivered one confirmed");
  // In the order the user wrote them.
  assert.deepEqual(sends, sends.toSorted((a, b) => Number(a.slice(4)) - Number(b.slice(4))));
});
