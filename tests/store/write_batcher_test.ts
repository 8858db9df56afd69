import assert from "node:assert/strict";
import { join } from "node:path";
import { type LogRecord, resetSync } from "@logtape/logtape";
import { configureLogging } from "../../src/log.ts";
import { MAX_MUTATIONS_PER_COMMIT, WriteBatcher } from "../../src/store/write_batcher.ts";
import { countCommits } from "./_commit_counter.ts";

/** Runs `fn` with a KV database in a fresh temp folder; both are cleaned up afterwards. */
async function withKv(fn: (kv: Deno.Kv) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mg-batcher-" });
  const kv = await Deno.openKv(join(dir, "test.db"));
  try {
    await fn(kv);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Captures the store's error records while `fn` runs. */
async function capturingErrors(fn: (errors: LogRecord[]) => Promise<void>): Promise<void> {
  const errors: LogRecord[] = [];
  configureLogging("warning", {
    sink: (record) => {
      if (record.level === "error" || record.level === "fatal") errors.push(record);
    },
  });
  try {
    await fn(errors);
  } finally {
    resetSync();
  }
}

/** Polls `condition` every few ms until it holds; fails after `timeoutMs`. */
async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Counts the entries under `prefix`. */
async function count(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix })) n++;
  return n;
}

/** A batcher whose timer never fires during a test: only flush() and full batches commit. */
function manual(kv: Deno.Kv, maxBatch?: number): WriteBatcher {
  return new WriteBatcher(kv, { intervalMs: 60_000, maxBatch });
}

Deno.test("queued sets, deletes and sums land once flush resolves", async () => {
  await withKv(async (kv) => {
    await kv.set(["doomed"], "old");
    const batcher = manual(kv);
    try {
      batcher.set(["a"], { text: "hello" });
      batcher.set(["b"], 42);
      batcher.delete(["doomed"]);
      batcher.sum(["counter", "messages"], 2n);
      batcher.sum(["counter", "messages"], 3n);
      assert.equal(batcher.pending, 5);
      assert.equal((await kv.get(["a"])).value, null, "written before flush");
      await batcher.flush();
      assert.equal(batcher.pending, 0);
      assert.deepEqual((await kv.get(["a"])).value, { text: "hello" });
      assert.equal((await kv.get(["b"])).value, 42);
      assert.equal((await kv.get(["doomed"])).value, null);
      assert.deepEqual((await kv.get(["counter", "messages"])).value, new Deno.KvU64(5n));
    } finally {
      await batcher.close();
    }
  });
});

Deno.test("more writes than one atomic commit allows are split and all land", async () => {
  await capturingErrors(async (errors) => {
    await withKv(async (kv) => {
      const batcher = manual(kv, 5000);
      try {
        const total = MAX_MUTATIONS_PER_COMMIT * 2 + 500;
        for (let i = 0; i < total; i++) batcher.set(["msg", i], `m${i}`);
        await batcher.flush();
        assert.equal(await count(kv, ["msg"]), total);
        assert.equal((await kv.get(["msg", total - 1])).value, `m${total - 1}`);
        assert.deepEqual(errors.map((r) => r.message.join("")), []);
      } finally {
        await batcher.close();
      }
    });
  });
});

Deno.test("the timer commits queued writes without an explicit flush", async () => {
  await withKv(async (kv) => {
    const batcher = new WriteBatcher(kv, { intervalMs: 10 });
    try {
      batcher.set(["timed"], "yes");
      batcher.sum(["counter", "timed"], 1n);
      await waitFor(async () => (await kv.get(["timed"])).value === "yes", "the timed write");
      await waitFor(() => batcher.pending === 0, "an empty queue");
      assert.deepEqual((await kv.get(["counter", "timed"])).value, new Deno.KvU64(1n));
    } finally {
      await batcher.close();
    }
  });
});

Deno.test("close flushes what is queued and refuses later writes", async () => {
  await withKv(async (kv) => {
    const batcher = manual(kv);
    batcher.set(["last"], "words");
    batcher.sum(["counter", "last"], 7n);
    await batcher.close();
    assert.equal((await kv.get(["last"])).value, "words");
    assert.deepEqual((await kv.get(["counter", "last"])).value, new Deno.KvU64(7n));
    assert.throws(() => batcher.set(["late"], 1), /closed/);
    assert.throws(() => batcher.delete(["last"]), /closed/);
    assert.throws(() => batcher.sum(["counter", "last"], 1n), /closed/);
    assert.equal((await kv.get(["late"])).value, null);
  });
});

Deno.test("writes to the same key within one batch apply in the order they were queued", async () => {
  await withKv(async (kv) => {
    const batcher = manual(kv);
    try {
      batcher.set(["gone"], "first");
      batcher.delete(["gone"]);
      batcher.delete(["back"]);
      batcher.set(["back"], "second");
      batcher.set(["twice"], 1);
      batcher.set(["twice"], 2);
      await batcher.flush();
      assert.equal((await kv.get(["gone"])).value, null);
      assert.equal((await kv.get(["back"])).value, "second");
      assert.equal((await kv.get(["twice"])).value, 2);
    } finally {
      await batcher.close();
    }
  });
});

Deno.test("writes split across several batches keep their order", async () => {
  await withKv(async (kv) => {
    const batcher = manual(kv, 10);
    try {
      for (let i = 0; i < 25; i++) batcher.set(["seq"], i);
      batcher.delete(["seq"]);
      for (let i = 0; i < 25; i++) batcher.set(["seq2"], i);
      await batcher.flush();
      assert.equal((await kv.get(["seq"])).value, null);
      assert.equal((await kv.get(["seq2"])).value, 24);
    } finally {
      await batcher.close();
    }
  });
});

Deno.test("a value KV cannot store is dropped and logged without losing the other writes", async () => {
  await capturingErrors(async (errors) => {
    await withKv(async (kv) => {
      const batcher = manual(kv);
      try {
        batcher.set(["good", 1], "one");
        batcher.set(["bad", "function"], () => "not cloneable");
        batcher.set(["bad", "huge"], new Uint8Array(70_000));
        batcher.set(["good", 2], "two");
        await batcher.flush();
        assert.equal((await kv.get(["good", 1])).value, "one");
        assert.equal((await kv.get(["good", 2])).value, "two");
        assert.equal(await count(kv, ["bad"]), 0);
        assert.equal(errors.length, 2, "one error per dropped write");
        assert.equal(batcher.lost, 2, "the lost writes are counted, not the others");
        batcher.set(["good", 3], "three");
        await batcher.flush();
        assert.equal((await kv.get(["good", 3])).value, "three", "the batcher stopped working");
        assert.equal(batcher.lost, 2);
      } finally {
        await batcher.close();
      }
    });
  });
});

Deno.test("a bad value committed by the timer neither crashes the program nor blocks later writes", async () => {
  await capturingErrors(async (errors) => {
    await withKv(async (kv) => {
      const batcher = new WriteBatcher(kv, { intervalMs: 5 });
      try {
        batcher.set(["bad"], Symbol("not cloneable"));
        batcher.set(["after"], "landed");
        await waitFor(async () => (await kv.get(["after"])).value === "landed", "the good write");
        assert.equal(errors.length, 1);
        assert.equal((await kv.get(["bad"])).value, null);
      } finally {
        await batcher.close();
      }
    });
  });
});

Deno.test("a batch larger than KV's total size limit is split instead of lost", async () => {
  await capturingErrors(async (errors) => {
    await withKv(async (kv) => {
      const batcher = manual(kv);
      try {
        const value = "x".repeat(4096);
        for (let i = 0; i < 400; i++) batcher.set(["big", i], value);
        await batcher.flush();
        assert.equal(await count(kv, ["big"]), 400);
        assert.deepEqual(errors.map((r) => r.message.join("")), []);
      } finally {
        await batcher.close();
      }
    });
  });
});

Deno.test("writers that wait for KV between writes still get full batches, not one commit each", async () => {
  await withKv(async (kv) => {
    const counter = countCommits(kv);
    const batcher = new WriteBatcher(kv, { intervalMs: 60_000, maxBatch: 500 });
    // Like an archive append: a read, then a few writes; 300 times, 2100 writes.
    for (let i = 0; i < 300; i++) {
      await kv.get(["probe", i]);
      for (let j = 0; j < 7; j++) batcher.set(["k", i, j], j);
    }
    await batcher.close();
    assert.equal(counter.commits, 5, "four full batches of 500 and the last 100");
    let landed = 0;
    for await (const _ of kv.list({ prefix: ["k"] })) landed++;
    assert.equal(landed, 2100);
  });
});

Deno.test("writes queued while close is flushing are committed before close resolves", async () => {
  await withKv(async (kv) => {
    const batcher = new WriteBatcher(kv, { intervalMs: 60_000 });
    batcher.set(["k", "before"], 1);
    const closing = batcher.close();
    batcher.set(["k", "during"], 2);
    await closing;
    assert.equal((await kv.get(["k", "before"])).value, 1);
    assert.equal((await kv.get(["k", "during"])).value, 2);
    assert.throws(() => batcher.set(["k", "after"], 3), /closed/);
  });
});

Deno.test("flushes asked for while a commit runs share the next commit (a group commit)", async () => {
  await withKv(async (kv) => {
    const counter = countCommits(kv);
    const batcher = manual(kv);
    batcher.set(["k", "first"], 0);
    const running = batcher.flush();
    // Twenty writers, each waiting for its own write to be durable, while the first commit runs.
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 20; i++) {
      batcher.set(["k", i], i);
      waits.push(batcher.flush());
    }
    await Promise.all([running, ...waits]);
    const commits = counter.commits;
    assert.ok(commits <= 2, `the first commit and at most one for all twenty, not ${commits}`);
    assert.equal(await count(kv, ["k"]), 21);
    await batcher.flush();
    assert.equal(counter.commits, commits, "a flush with nothing queued commits nothing");
    await batcher.close();
  });
});

Deno.test("max keeps the larger value, within a batch and across batches", async () => {
  await withKv(async (kv) => {
    const batcher = manual(kv);
    batcher.max(["m"], 5n);
    batcher.max(["m"], 9n);
    batcher.max(["m"], 7n);
    await batcher.flush();
    batcher.max(["m"], 3n);
    await batcher.close();
    assert.equal((await kv.get<Deno.KvU64>(["m"])).value?.value, 9n);
  });
});
