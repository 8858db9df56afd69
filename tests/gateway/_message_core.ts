/**
 * The gateway core's message machinery wired as `src/app.ts` wires it, without XML: a Gateway on
 * a simulated network, the store, the thread queues and both message flows, around a test port.
 * Alice (alice@example.org) registers as Messenger account 100001 of the given world.
 *
 * @module
 */

import { Secret } from "../../src/secret.ts";
import assert from "node:assert/strict";
import { Gateway } from "../../src/gateway/gateway.ts";
import { IncomingEvents } from "../../src/gateway/incoming_events.ts";
import { type CorrectionPolicy, OutgoingMessages } from "../../src/gateway/outgoing_messages.ts";
import { ThreadQueues } from "../../src/gateway/thread_queue.ts";
import type { XmppPort } from "../../src/gateway/xmpp_port.ts";
import type { Attachment } from "../../src/messenger/events.ts";
import { parseWorld, SimulatedNetwork } from "../../src/messenger/simulated/mod.ts";
import { MessageIdStore } from "../../src/store/message_ids.ts";
import { WriteBatcher } from "../../src/store/write_batcher.ts";

export const ALICE = "alice@example.org";

/** Options of {@link messageCore}. */
export interface MessageCoreOptions {
  /** The world; must have alice@example.com / "correct horse" as account 100001. */
  world: string;
  correctionPolicy?: CorrectionPolicy;
  rehost?: (attachment: Attachment) => Promise<Attachment>;
}

/** Builds the core around `port` and registers Alice (connected when it resolves). */
export async function messageCore<P extends XmppPort>(port: P, options: MessageCoreOptions) {
  const kv = await Deno.openKv(":memory:");
  const network = new SimulatedNetwork(parseWorld(options.world, "<inline>"));
  const gateway = new Gateway({
    settings: {
      name: "Test",
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
  const ids = new MessageIdStore(kv, batcher);
  const queues = new ThreadQueues({ onError: (error) => console.error(error) });
  const counters = { toMessenger: 0, toXmpp: 0 };
  const outgoing = new OutgoingMessages({
    queues,
    ids,
    xmpp: port,
    counters,
    settings: {
      reconnectWaitMs: 2000,
      correctionPolicy: options.correctionPolicy ?? "resend",
      typingThrottleMs: 60_000,
    },
  });
  const incoming = new IncomingEvents({
    queues,
    ids,
    xmpp: port,
    outgoing,
    counters,
    retryPauseMs: 5,
    ...(options.rehost ? { rehost: options.rehost } : {}),
  });
  gateway.onMessengerEvent((session, event) => incoming.accept(session, event));
  const step = await gateway.register(ALICE, {
    kind: "password",
    email: "alice@example.com",
    password: new Secret("correct horse"),
  });
  assert.equal(step.kind, "registered");
  const session = gateway.session(ALICE)!;
  assert.ok(await session.whenConnected(10_000), "alice did not connect");
  return {
    kv,
    network,
    gateway,
    session,
    batcher,
    ids,
    queues,
    counters,
    outgoing,
    incoming,
    async [Symbol.asyncDispose]() {
      await gateway.stop();
      await network.close();
      await batcher.close();
      kv.close();
    },
  };
}
