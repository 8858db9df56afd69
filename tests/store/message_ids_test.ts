import assert from "node:assert/strict";
import { join } from "node:path";
import { asMessageId, asThreadId } from "../../src/messenger/ids.ts";
import { messageIdsPrefix, userPrefix } from "../../src/store/keys.ts";
import {
  DEFAULT_MESSAGE_RETENTION_MS,
  MAX_STORED_ID_LENGTH,
  MessageIdStore,
} from "../../src/store/message_ids.ts";
import { deleteUserData } from "../../src/store/user_records.ts";
import { WriteBatcher } from "../../src/store/write_batcher.ts";

const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const THREAD = asThreadId("100001");
const MID = asMessageId("mid.$cAAAAB1");

/** A temp folder holding a KV path; removed afterwards. */
async function withDir(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mg-msgids-" });
  try {
    await fn(join(dir, "test.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface Fixture {
  kv: Deno.Kv;
  batcher: WriteBatcher;
  store: MessageIdStore;
  clock: { now: number };
}

/** A store over a fresh KV whose batcher only commits on flush (writes stay queued otherwise). */
async function withStore(
  fn: (f: Fixture) => Promise<void>,
  options: { cacheSize?: number; retentionMs?: number } = {},
): Promise<void> {
  await withDir(async (path) => {
    const kv = await Deno.openKv(path);
    const batcher = new WriteBatcher(kv, { intervalMs: 60_000 });
    const clock = { now: 1_700_000_000_000 };
    const store = new MessageIdStore(kv, batcher, { ...options, now: () => clock.now });
    try {
      await fn({ kv, batcher, store, clock });
    } finally {
      await batcher.close();
      kv.close();
    }
  });
}

async function count(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix })) n++;
  return n;
}

Deno.test("a link is readable by either id right after it is recorded, before any commit", async () => {
  await withStore(async ({ kv, batcher, store }) => {
    store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["xmpp-1", "xmpp-1#1"] });
    assert.ok(batcher.pending > 0, "the writes are still queued");
    assert.equal(await count(kv, messageIdsPrefix(ALICE)), 0);

    const byMessenger = await store.byMessengerId(ALICE, MID);
    assert.deepEqual(byMessenger?.xmppIds, ["xmpp-1", "xmpp-1#1"]);
    assert.equal(byMessenger?.thread, THREAD);
    assert.equal((await store.byXmppId(ALICE, "xmpp-1"))?.messengerId, MID);
    assert.equal((await store.byXmppId(ALICE, "xmpp-1#1"))?.messengerId, MID);
  });
});

Deno.test("links are per user: another user's ids are not found", async () => {
  await withStore(async ({ store }) => {
    store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["xmpp-1"] });
    assert.equal(await store.byXmppId(BOB, "xmpp-1"), null);
    assert.equal(await store.byMessengerId(BOB, MID), null);
  });
});

Deno.test("unknown ids, empty ids and over-long ids read as null", async () => {
  await withStore(async ({ store }) => {
    assert.equal(await store.byXmppId(ALICE, "never-seen"), null);
    assert.equal(await store.byXmppId(ALICE, ""), null);
    assert.equal(await store.byXmppId(ALICE, "x".repeat(5000)), null);
  });
});

Deno.test("recording an empty or over-long id is refused with a RangeError", async () => {
  await withStore(async ({ store }) => {
    assert.throws(
      () => store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: [] }),
      RangeError,
    );
    assert.throws(
      () => store.link(ALICE, { thread: THREAD, messengerId: asMessageId(""), xmppIds: ["a"] }),
      RangeError,
    );
    assert.throws(
      () =>
        store.link(ALICE, {
          thread: THREAD,
          messengerId: MID,
          xmppIds: ["x".repeat(MAX_STORED_ID_LENGTH + 1)],
        }),
      /too long to store: 513 characters/,
    );
    await assert.rejects(store.markSeen(ALICE, asMessageId("")), RangeError);
  });
});

Deno.test("links are found in KV once evicted from the cache (after the batch committed)", async () => {
  await withStore(async ({ batcher, store }) => {
    store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["xmpp-1"] });
    await batcher.flush();
    for (let i = 0; i < 10; i++) {
      store.link(ALICE, {
        thread: THREAD,
        messengerId: asMessageId(`mid.other${i}`),
        xmppIds: [`other-${i}`],
      });
    }
    await batcher.flush();
    assert.equal((await store.byXmppId(ALICE, "xmpp-1"))?.messengerId, MID);
    assert.deepEqual((await store.byMessengerId(ALICE, MID))?.xmppIds, ["xmpp-1"]);
  }, { cacheSize: 4 });
});

Deno.test("links and seen records survive closing and reopening the KV", async () => {
  await withDir(async (path) => {
    {
      const kv = await Deno.openKv(path);
      const batcher = new WriteBatcher(kv, { intervalMs: 60_000 });
      const store = new MessageIdStore(kv, batcher);
      store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["xmpp-1"] });
      assert.equal(await store.markSeen(ALICE, MID), true);
      await batcher.close();
      kv.close();
    }
    const kv = await Deno.openKv(path);
    const batcher = new WriteBatcher(kv, { intervalMs: 60_000 });
    const store = new MessageIdStore(kv, batcher);
    try {
      const link = await store.byXmppId(ALICE, "xmpp-1");
      assert.equal(link?.messengerId, MID);
      assert.equal(link?.thread, THREAD);
      assert.deepEqual((await store.byMessengerId(ALICE, MID))?.xmppIds, ["xmpp-1"]);
      assert.equal(await store.markSeen(ALICE, MID), false, "a redelivery after restart is a dup");
    } finally {
      await batcher.close();
      kv.close();
    }
  });
});

Deno.test("markSeen answers true the first time and false for every duplicate", async () => {
  await withStore(async ({ batcher, store }) => {
    assert.equal(await store.markSeen(ALICE, MID), true);
    assert.equal(await store.markSeen(ALICE, MID), false);
    await batcher.flush();
    assert.equal(await store.markSeen(ALICE, MID), false);
    assert.equal(await store.markSeen(BOB, MID), true, "seen is per user");
  });
});

Deno.test("a released mark is not seen, even while its batched delete is not committed", async () => {
  await withStore(async ({ kv, batcher, store }) => {
    assert.equal(await store.markSeen(ALICE, MID), true);
    await batcher.flush(); // the mark is in KV
    store.release(ALICE, MID); // its delete waits in the batch
    assert.equal(await count(kv, ["user", ALICE]), 1, "the delete is not committed yet");
    assert.equal(await store.markSeen(ALICE, MID), true, "a redelivery was taken for a duplicate");
    assert.equal(await store.markSeen(ALICE, MID), false);
    await batcher.flush();
    assert.equal(await store.markSeen(ALICE, MID), false, "the new mark was committed");
  });
});

Deno.test("concurrent markSeen calls for one id: exactly one is first", async () => {
  await withStore(async ({ store }) => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.markSeen(ALICE, MID)),
    );
    assert.equal(results.filter((first) => first).length, 1);
  });
});

Deno.test("markSeen finds a committed record after the cache forgot it", async () => {
  await withStore(async ({ batcher, store }) => {
    assert.equal(await store.markSeen(ALICE, MID), true);
    await batcher.flush();
    for (let i = 0; i < 5; i++) await store.markSeen(ALICE, asMessageId(`mid.other${i}`));
    assert.equal(await store.markSeen(ALICE, MID), false);
  }, { cacheSize: 2 });
});

Deno.test("records older than the retention are ignored, in the cache and in KV", async () => {
  const retentionMs = 1000;
  await withStore(async ({ batcher, store, clock }) => {
    store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["xmpp-1"] });
    assert.equal(await store.markSeen(ALICE, MID), true);
    await batcher.flush();

    clock.now += retentionMs - 1;
    assert.ok(await store.byXmppId(ALICE, "xmpp-1"), "still within retention");

    clock.now += 1;
    assert.equal(await store.byXmppId(ALICE, "xmpp-1"), null, "cached copy expired");
    store.forgetUser(ALICE);
    assert.equal(await store.byMessengerId(ALICE, MID), null, "stored copy expired");
    assert.equal(await store.markSeen(ALICE, MID), true, "an expired seen record is forgotten");
  }, { retentionMs });
});

Deno.test("writes carry the retention as KV expireIn (30 days by default)", async () => {
  await withStore(async ({ kv, batcher, store }) => {
    // Observed through a wrapper: the batcher hands expireIn to KV, which cannot be read back.
    const seen: (number | undefined)[] = [];
    const original = batcher.set.bind(batcher);
    batcher.set = (key, value, options = {}) => {
      seen.push(options.expireIn);
      original(key, value, options);
    };
    store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["a", "b"] });
    await store.markSeen(ALICE, MID);
    await batcher.flush();
    assert.deepEqual(seen, Array(4).fill(DEFAULT_MESSAGE_RETENTION_MS));
    assert.equal(await count(kv, messageIdsPrefix(ALICE)), 4);
  });
});

Deno.test("relinking a Messenger id replaces its XMPP ids; duplicates are collapsed", async () => {
  await withStore(async ({ store }) => {
    store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["a"] });
    const record = store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["b", "b"] });
    assert.deepEqual(record.xmppIds, ["b"]);
    assert.deepEqual((await store.byMessengerId(ALICE, MID))?.xmppIds, ["b"]);
    assert.equal((await store.byXmppId(ALICE, "b"))?.messengerId, MID);
  });
});

Deno.test("records live under the user's prefix, so deleting the user removes them", async () => {
  await withStore(async ({ kv, batcher, store }) => {
    store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["xmpp-1"] });
    await store.markSeen(ALICE, MID);
    store.link(BOB, { thread: THREAD, messengerId: MID, xmppIds: ["xmpp-1"] });
    await batcher.flush();
    assert.equal(await count(kv, userPrefix(ALICE)), 3);

    await deleteUserData(kv, ALICE);
    store.forgetUser(ALICE);
    assert.equal(await count(kv, userPrefix(ALICE)), 0);
    assert.equal(await store.byXmppId(ALICE, "xmpp-1"), null);
    assert.equal(await store.markSeen(ALICE, MID), true);
    assert.ok(await store.byXmppId(BOB, "xmpp-1"), "the other user keeps theirs");
  });
});

Deno.test("a foreign value under a link key is ignored, not trusted", async () => {
  await withStore(async ({ kv, store }) => {
    await kv.set(["user", ALICE, "msg", "by_xmpp", "weird"], { hello: "world" });
    assert.equal(await store.byXmppId(ALICE, "weird"), null);
  });
});
