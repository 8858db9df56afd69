/**
 * Unregistering while a delivery is running (a photo being re-uploaded): the delivery is let
 * finish before the data is deleted, shows nothing to the unregistered user and writes nothing
 * back. Then a user who registers again starts with no memory of their old conversations.
 */
import assert from "node:assert/strict";
import { Gateway } from "../../src/gateway/gateway.ts";
import { IncomingEvents } from "../../src/gateway/incoming_events.ts";
import { MessageRequests } from "../../src/gateway/message_requests.ts";
import { OutgoingMessages } from "../../src/gateway/outgoing_messages.ts";
import { ThreadQueues } from "../../src/gateway/thread_queue.ts";
import { cleanUpOnUnregister } from "../../src/gateway/unregister_cleanup.ts";
import type { ContactMessage } from "../../src/gateway/xmpp_port.ts";
import type { UserId } from "../../src/messenger/ids.ts";
import { parseWorld, SimulatedNetwork } from "../../src/messenger/simulated/mod.ts";
import { MessageIdStore } from "../../src/store/message_ids.ts";
import { WriteBatcher } from "../../src/store/write_batcher.ts";
import { waitUntil } from "../_wait.ts";
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
const ALICE = "alice@example.org";
const LOGIN = { kind: "password", email: "alice@example.com", password: "correct horse" } as const;

class ShownPort extends NullXmppPort {
  shown: string[] = [];
  override contactMessage(_user: string, _contact: UserId, message: ContactMessage) {
    this.shown.push(message.text);
    return Promise.resolve([message.id]);
  }
}

Deno.test("a delivery running at unregistration finishes first and leaves nothing behind", async () => {
  const kv = await Deno.openKv(":memory:");
  const network = new SimulatedNetwork(parseWorld(WORLD, "<inline>"));
  const port = new ShownPort();
  const gateway = new Gateway({
    settings: {
      name: "T",
      admins: [],
      allowedJids: [/.*/],
      loginStaggerMs: 0,
      rosterMaxContacts: 10,
      retryDelayMs: 3_600_000,
      cookieSaveIntervalMs: 3_600_000,
    },
    kv,
    network,
    xmpp: port,
  });
  const batcher = new WriteBatcher(kv);
  const messageIds = new MessageIdStore(kv, batcher);
  const queues = new ThreadQueues({ onError: () => {} });
  const counters = { toMessenger: 0, toXmpp: 0 };
  const outgoing = new OutgoingMessages({
    queues,
    ids: messageIds,
    xmpp: port,
    counters,
    settings: { reconnectWaitMs: 1000, correctionPolicy: "resend", typingThrottleMs: 1000 },
  });
  let uploads = 0;
  let release = () => {};
  const incoming = new IncomingEvents({
    queues,
    ids: messageIds,
    xmpp: port,
    outgoing,
    counters,
    rehost: async (attachment) => {
      uploads++;
      await new Promise<void>((resolve) => (release = resolve));
      return attachment;
    },
  });
  const messageRequests = new MessageRequests({
    kv,
    queues,
    xmpp: port,
    contactJid: (id) => `${id}@gw`,
  });
  gateway.onMessengerEvent((session, event) => incoming.accept(session, event));
  cleanUpOnUnregister(gateway, {
    queues,
    batcher,
    messageIds,
    messageRequests,
    incoming,
    outgoing,
  });
  const userKeys = async () => {
    const keys: Deno.KvKey[] = [];
    for await (const entry of kv.list({ prefix: ["user", ALICE] })) keys.push(entry.key);
    return keys;
  };
  try {
    await gateway.register(ALICE, LOGIN);
    assert.ok(await gateway.session(ALICE)!.whenConnected(10_000));
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
  } finally {
    await gateway.stop();
    await network.close();
    await batcher.close();
    kv.close();
  }
});
