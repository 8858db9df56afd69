/**
 * Unregistering while a delivery is running (a photo being re-uploaded): the delivery is let
 * finish before the data is deleted, shows nothing to the unregistered user and writes nothing
 * back.
 */
import assert from "node:assert/strict";
import { cleanUpOnUnregister } from "../../src/gateway/unregister_cleanup.ts";
import { MessageRequests } from "../../src/gateway/message_requests.ts";
import type { ContactMessage } from "../../src/gateway/xmpp_port.ts";
import type { UserId } from "../../src/messenger/ids.ts";
import { waitUntil } from "../_wait.ts";
import { ALICE, messageCore } from "./_message_core.ts";
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
  override contactMessage(_user: string, _contact: UserId, message: ContactMessage) {
    this.shown.push(message.text);
    return Promise.resolve([message.id]);
  }
}

Deno.test("a delivery running at unregistration finishes first and leaves nothing behind", async () => {
  const port = new ShownPort();
  let uploads = 0;
  let release = () => {};
  await using core = await messageCore(port, {
    world: WORLD,
    rehost: async (attachment) => {
      uploads++;
      await new Promise<void>((resolve) => (release = resolve));
      return attachment;
    },
  });
  const { kv, gateway, network, batcher, queues } = core;
  cleanUpOnUnregister(gateway, {
    queues,
    batcher,
    messageIds: core.ids,
    messageRequests: new MessageRequests({
      kv,
      queues,
      xmpp: port,
      contactJid: (id) => `${id}@gw`,
    }),
    incoming: core.incoming,
    outgoing: core.outgoing,
  });
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
  await waitUntil(() => uploads === 1, "the re-upload to start");

  let unregistered = false;
  const unregistering = gateway.unregister(ALICE, "user").then((done) => (unregistered = done));
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(unregistered, false, "the data was deleted while a delivery was running");
  release(); // the re-upload finishes
  await unregistering;
  assert.equal(unregistered, true);
  await batcher.flush();
  assert.deepEqual(await userKeys(), [], "data written back after unregistration");
  assert.deepEqual(port.shown, [], "shown to a user who had unregistered");
});
