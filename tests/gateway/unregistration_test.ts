/**
 * Unregistering forgets everything by closing the user's session and with it their
 * conversations: waiting work is dropped, a delivery already running (a photo being re-uploaded)
 * is let finish before the data is deleted, shows nothing to the unregistered user and writes
 * nothing back.
 */
import assert from "node:assert/strict";
import type { Chat, ChatMessage, Speaker } from "../../src/gateway/xmpp_port.ts";
import { waitUntil } from "../_wait.ts";
import { ALICE, aliceCore } from "./_core.ts";
import { NullXmppPort } from "./_null_port.ts";

const WORLD = `[[account]]
email = "alice@example.com"
password = "correct horse"
user_id = "100001"
name = "Alice"
  [[account.friend]]
  id = "200002"
  name = "Bob"
`;

class ShownPort extends NullXmppPort {
  shown: string[] = [];
  override message(_chat: Chat, _speaker: Speaker, message: ChatMessage) {
    this.shown.push(message.text);
    return Promise.resolve([message.id]);
  }
}

Deno.test("a delivery running at unregistration finishes first and leaves nothing behind", async () => {
  const port = new ShownPort();
  let uploads = 0;
  let release = () => {};
  await using core = await aliceCore(port, {
    world: WORLD,
    deps: {
      rehost: async (attachment) => {
        uploads++;
        await new Promise<void>((resolve) => (release = resolve));
        return attachment;
      },
    },
  });
  const { kv, gateway, network, session } = core;
  const userKeys = async () => {
    const keys: Deno.KvKey[] = [];
    for await (const entry of kv.list({ prefix: ["user", ALICE] })) keys.push(entry.key);
    return keys;
  };
  await network.control.inject("100001", {
    type: "message",
    sender: "200002",
    text: "photo",
    attachments: [{ kind: "photo", url: "https://example.net/p.jpg", contentType: "image/jpeg" }],
  });
  // A second message waits behind the first in the conversation: it is dropped, never shown.
  await network.control.inject("100001", { type: "message", sender: "200002", text: "later" });
  await waitUntil(() => uploads === 1, "the re-upload to start");
  const conversation = session.conversations.all()[0];
  assert.equal(conversation.queue.held("to_xmpp"), 2);

  let unregistered = false;
  const unregistering = gateway.unregister(ALICE, "user").then((done) => (unregistered = done));
  await waitUntil(() => conversation.closed, "the conversation to close");
  assert.equal(conversation.queue.held("to_xmpp"), 1, "the waiting message was dropped");
  assert.equal(unregistered, false, "the data was deleted while a delivery was running");
  release(); // the re-upload finishes
  await unregistering;
  assert.equal(unregistered, true);
  assert.equal(session.conversations.size, 0, "the session's conversations are gone");
  assert.deepEqual(await userKeys(), [], "data written back after unregistration");
  assert.deepEqual(port.shown, [], "shown to a user who had unregistered");
});
