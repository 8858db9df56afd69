/**
 * The store refusing writes (a full disk, a file system gone read-only), simulated by a KV whose
 * writes fail on demand (tests/store/_failing_kv.ts). What is decided here (docs/reliability.md):
 *
 * - What a user asks to be saved (a registration) is done only if it was saved: otherwise a clear
 *   error, the Messenger login it made is ended, and nothing half-written stays behind.
 * - Messages are never held back for the store: each reaches Messenger or the user, and a receipt
 *   says what it always says (Messenger has the message), which is true. What the store would have
 *   kept about them (the id mappings) is lost and logged, once per window with a count; after a
 *   restart a reaction to such a message is refused with a clear error, never sent to another
 *   message. The store file stays readable throughout.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type LogRecord, resetSync } from "@logtape/logtape";
import { CommandError } from "../../src/gateway/command.ts";
import type { ParsedMessage } from "../../src/gateway/message_actions.ts";
import type { Chat, ChatMessage, MessageFailure, Speaker } from "../../src/gateway/xmpp_port.ts";
import { configureLogging, formatRecord } from "../../src/log.ts";
import { asThreadId } from "../../src/messenger/ids.ts";
import { Secret } from "../../src/secret.ts";
import { StoreWriteError } from "../../src/store/store_write_error.ts";
import { getUser } from "../../src/store/user_records.ts";
import { waitUntil } from "../_wait.ts";
import { failingKv, StoreFault } from "../store/_failing_kv.ts";
import { NullXmppPort } from "./_null_port.ts";
import { ALICE, ALICE_AND_BOB_WORLD, testCore } from "./_core.ts";

const WORLD = ALICE_AND_BOB_WORLD;
const BOB = asThreadId("200002");

class Port extends NullXmppPort {
  readonly shown: ChatMessage[] = [];
  readonly receipts: string[] = [];
  readonly failures: MessageFailure[] = [];
  override message(_chat: Chat, speaker: Speaker, message: ChatMessage): Promise<string[]> {
    if (!speaker.self) this.shown.push(message);
    return Promise.resolve([message.id]);
  }
  override messageDelivered(_chat: Chat, id: string): Promise<void> {
    this.receipts.push(id);
    return Promise.resolve();
  }
  override messageFailed(_c: string, _chat: Chat, _id: string | undefined, f: MessageFailure) {
    this.failures.push(f);
    return Promise.resolve();
  }
}

async function storeFile(): Promise<{ path: string; [Symbol.asyncDispose](): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "store-failures-" });
  return {
    path: join(dir, "gateway.kv"),
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }),
  };
}

function text(id: string, body: string): ParsedMessage {
  return {
    type: "chat",
    id,
    receiptRequested: true,
    markable: false,
    actions: [{ kind: "text", content: { body, attachmentUrls: [], mentions: [] } }],
  };
}

function reaction(id: string, target: string): ParsedMessage {
  return {
    type: "chat",
    id,
    receiptRequested: false,
    markable: false,
    actions: [{ kind: "reaction", target, emojis: ["👍"] }],
  };
}

Deno.test("a registration the store cannot save is refused, its login ended, nothing left behind", async () => {
  await using file = await storeFile();
  const real = await Deno.openKv(file.path);
  const fault = new StoreFault();
  try {
    await using core = await testCore(new NullXmppPort(), {
      world: WORLD,
      kv: failingKv(real, fault),
    });
    fault.failing = true;
    const credentials = {
      kind: "password" as const,
      email: "alice@example.com",
      password: new Secret("correct horse"),
    };
    await assert.rejects(core.gateway.register(ALICE, credentials), (error: unknown) => {
      assert.ok(error instanceof StoreWriteError);
      assert.match(error.message, /could not save the registration of alice@example.org/);
      assert.match(error.message, /Nothing was changed; try again later/);
      return true;
    });
    // Through the command layer the user reads that sentence (service-unavailable, wait).
    await assert.rejects(
      core.port.register(ALICE, { email: "alice@example.com", password: "correct horse" }),
      (error: unknown) => error instanceof CommandError && error.kind === "unavailable",
    );
    assert.ok(fault.refused >= 2);
    assert.equal(core.gateway.isRegistered(ALICE), false);
    const ops = core.network.control.operations("100001").operations.map((op) => op.method);
    assert.equal(ops.filter((m) => m === "login").length, 2);
    assert.equal(ops.filter((m) => m === "disconnect").length, 2, "each login was ended");
    const keys: string[] = [];
    for await (const entry of real.list({ prefix: [] })) keys.push(JSON.stringify(entry.key));
    assert.deepEqual(keys.filter((key) => key.includes(ALICE)), []);

    fault.failing = false;
    await core.registerUser(ALICE, "alice@example.com", "correct horse");
    assert.ok(await getUser(real, ALICE));
  } finally {
    real.close();
  }
});

Deno.test("with the disk full every message still goes through; lost mappings are refused later", async () => {
  await using file = await storeFile();
  const fault = new StoreFault();
  const records: LogRecord[] = [];
  const port = new Port();
  const sent: string[] = [];
  {
    const real = await Deno.openKv(file.path);
    try {
      await using core = await testCore(port, { world: WORLD, kv: failingKv(real, fault) });
      await core.registerUser(ALICE, "alice@example.com", "correct horse");
      configureLogging("warning", { sink: (record) => records.push(record) });
      fault.failing = true;
      for (let n = 1; n <= 10; n++) {
        core.port.sendMessage(ALICE, `${ALICE}/phone`, { thread: BOB, kind: "direct" }, {
          ...text(`out-${n}`, `out ${n}`),
        });
        await core.network.control.inject("100001", {
          type: "message",
          sender: "200002",
          text: `bob ${n}`,
        });
      }
      await waitUntil(() => port.shown.length === 10 && port.receipts.length === 10, "traffic");
      await core.settled(ALICE, BOB);
      await waitUntil(() => fault.refused > 0, "a batch of writes refused");
      sent.push(
        ...core.network.control.operations("100001").operations.flatMap((op) =>
          op.method === "sendMessage" && op.text ? [op.text] : []
        ),
      );
      fault.failing = false;
    } finally {
      resetSync();
      real.close();
    }
  }
  const errors = records.map((record) => formatRecord(record, true))
    .filter((line) => /Could not write \d+ records to the store/.test(line));
  console.log(
    `disk full: the user sent 10, delivered ${
      new Set(sent).size
    }, receipts ${port.receipts.length}; ` +
      `Bob sent 10, shown ${port.shown.length}; writes refused ${fault.refused}, error lines ` +
      `${errors.length}`,
  );
  assert.equal(new Set(sent).size, 10);
  assert.equal(port.receipts.length, 10);
  assert.deepEqual(
    port.shown.map((m) => m.text),
    Array.from({ length: 10 }, (_, i) => `bob ${i + 1}`),
  );
  assert.ok(errors.length >= 1 && errors.length <= 2, errors.join("\n"));
  assert.match(errors[0], /database or disk is full; they are lost, the store itself stays/);

  // The gateway starts again on the same file: readable, Alice still registered.
  const reopened = await Deno.openKv(file.path);
  try {
    assert.ok(await getUser(reopened, ALICE), "the user record is intact");
    const after = new Port();
    await using core = await testCore(after, { world: WORLD, kv: reopened });
    await waitUntil(() => core.gateway.session(ALICE)?.state.status === "connected", "login");
    const opsBefore = core.network.control.operations("100001").operations.length;
    // out-1's mapping was never stored: refused with a clear error, nothing sent to Messenger.
    core.port.sendMessage(
      ALICE,
      `${ALICE}/phone`,
      { thread: BOB, kind: "direct" },
      reaction("r-1", "out-1"),
    );
    await core.settled(ALICE, BOB);
    assert.equal(after.failures[0]?.kind, "item_not_found");
    assert.match(after.failures[0]?.text ?? "", /unknown to the gateway/);
    // What is written now is kept again: a new message and a reaction to it.
    core.port.sendMessage(
      ALICE,
      `${ALICE}/phone`,
      { thread: BOB, kind: "direct" },
      text("out-11", "out 11"),
    );
    core.port.sendMessage(
      ALICE,
      `${ALICE}/phone`,
      { thread: BOB, kind: "direct" },
      reaction("r-2", "out-11"),
    );
    await core.settled(ALICE, BOB);
    await core.network.control.idle();
    const ops = core.network.control.operations("100001").operations.slice(opsBefore);
    const sentNow = ops.find((op) => op.method === "sendMessage");
    const reacted = ops.filter((op) => op.method === "react");
    assert.equal(reacted.length, 1, JSON.stringify(ops));
    assert.equal(
      reacted[0] && "messageId" in reacted[0] ? reacted[0].messageId : undefined,
      sentNow && "messageId" in sentNow ? sentNow.messageId : "none",
    );
  } finally {
    reopened.close();
  }
});
