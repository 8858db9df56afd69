import assert from "node:assert/strict";
import { join } from "node:path";
import { PendingWrites } from "../../src/store/pending_writes.ts";
import { WriteBatcher } from "../../src/store/write_batcher.ts";

/** A KV in a temp folder and a batcher that commits only when flushed. */
async function withPending(
  fn: (ctx: { kv: Deno.Kv; batcher: WriteBatcher; pending: PendingWrites }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mg-pending-" });
  const kv = await Deno.openKv(join(dir, "test.db"));
  const batcher = new WriteBatcher(kv, { intervalMs: 60_000 });
  try {
    await fn({ kv, batcher, pending: new PendingWrites(kv, batcher) });
  } finally {
    await batcher.close();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a queued set or delete is read back before it is committed", async () => {
  await withPending(async ({ kv, batcher, pending }) => {
    await kv.set(["k", "old"], "in kv");
    pending.set(["k", "new"], { n: 1 });
    pending.delete(["k", "old"]);
    assert.equal(batcher.pending, 2);
    assert.deepEqual(await pending.get(["k", "new"]), { n: 1 });
    assert.equal(await pending.get(["k", "old"]), null);
    assert.equal((await kv.get(["k", "old"])).value, "in kv", "not committed yet");
    assert.equal(await pending.get(["k", "absent"]), null);
  });
});

Deno.test("getMany mixes memory and KV over more keys than one KV read allows", async () => {
  await withPending(async ({ kv, pending }) => {
    for (let i = 0; i < 25; i++) await kv.set(["k", i], `kv ${i}`);
    pending.set(["k", 3], "memory 3");
    pending.delete(["k", 20]);
    const keys = Array.from({ length: 27 }, (_, i) => ["k", i]);
    const values = await pending.getMany<string>(keys);
    assert.equal(values.length, 27);
    assert.equal(values[0], "kv 0");
    assert.equal(values[3], "memory 3");
    assert.equal(values[20], null);
    assert.equal(values[24], "kv 24");
    assert.equal(values[26], null);
  });
});

Deno.test("the number 5 and the string '5' are different keys", async () => {
  await withPending(async ({ pending }) => {
    pending.set(["k", 5], "number");
    assert.equal(await pending.get(["k", "5"]), null);
    assert.equal(await pending.get(["k", 5]), "number");
  });
});

Deno.test("settle commits the queued writes and forgets them; KV answers from then on", async () => {
  await withPending(async ({ kv, batcher, pending }) => {
    pending.set(["k", 1], "one", { expireIn: 60_000 });
    pending.set(["k", 2], "two");
    assert.equal(pending.size, 2);
    await pending.settle();
    assert.equal(pending.size, 0);
    assert.equal(batcher.pending, 0);
    assert.equal((await kv.get(["k", 1])).value, "one");
    assert.equal(await pending.get(["k", 2]), "two");
  });
});

Deno.test("a write queued while a settle is under way stays in memory", async () => {
  await withPending(async ({ kv, pending }) => {
    pending.set(["k", 1], "first");
    const settling = pending.settle();
    pending.set(["k", 1], "second");
    await settling;
    assert.equal(await pending.get(["k", 1]), "second", "the newer write is still held");
    assert.equal(pending.size, 1);
    await pending.settle();
    assert.equal((await kv.get(["k", 1])).value, "second");
    assert.equal(pending.size, 0);
  });
});
