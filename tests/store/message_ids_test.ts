import assert from "node:assert/strict";
import { join } from "node:path";
import { asMessageId, asThreadId } from "../../src/messenger/ids.ts";
import { messageIdsPrefix, seenHorizonKey, userPrefix } from "../../src/store/keys.ts";
import {
  DEFAULT_MESSAGE_RETENTION_MS,
  LEGACY_HORIZON_MARGIN_MS,
  MAX_STORED_ID_LENGTH,
  MessageIdStore,
  SEEN_HORIZON_AHEAD_MS,
} from "../../src/store/message_ids.ts";
import { deleteUserData } from "../../src/store/user_records.ts";
import { WriteBatcher } from "../../src/store/write_batcher.ts";
import { countGets } from "./_commit_counter.ts";

const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const THREAD = asThreadId("100001");
const MID = asMessageId("mid.$cAAAAB1");
/** MID's Messenger timestamp. */
const T = 1_690_000_000_000;
/** Where an older version kept Alice's seen records. */
const seenPrefix = ["user", ALICE, "msg", "seen"];
/** Where Alice's records by Messenger id live (links, and seen marks not linked yet). */
const byMessengerPrefix = ["user", ALICE, "msg", "by_messenger"];

/** A temp folder holding a KV path; removed afterwards. */
async function withDir(fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mg-msgids-" });
  try {
    await fn(join(dir, "test.db"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * One run of the gateway on the store at `path`: a store over it, committed and closed afterwards,
 * so that a later run sees what this one left.
 */
async function oneRun(
  path: string,
  fn: (run: { kv: Deno.Kv; batcher: WriteBatcher; store: MessageIdStore }) => Promise<void>,
): Promise<void> {
  const kv = await Deno.openKv(path);
  const batcher = new WriteBatcher(kv, { intervalMs: 60_000 });
  const store = new MessageIdStore(kv, batcher);
  try {
    await fn({ kv, batcher, store });
  } finally {
    await batcher.close();
    kv.close();
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
    await assert.rejects(store.markSeen(ALICE, asMessageId(""), T), RangeError);
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
    await oneRun(path, async ({ store }) => {
      assert.equal(await store.markSeen(ALICE, MID, T), true);
      store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["xmpp-1"] });
    });
    await oneRun(path, async ({ store }) => {
      const link = await store.byXmppId(ALICE, "xmpp-1");
      assert.equal(link?.messengerId, MID);
      assert.equal(link?.thread, THREAD);
      assert.deepEqual((await store.byMessengerId(ALICE, MID))?.xmppIds, ["xmpp-1"]);
      assert.equal(
        await store.markSeen(ALICE, MID, T),
        false,
        "a redelivery after restart is a dup",
      );
    });
  });
});

Deno.test("markSeen answers true the first time and false for every duplicate", async () => {
  await withStore(async ({ batcher, store }) => {
    assert.equal(await store.markSeen(ALICE, MID, T), true);
    assert.equal(await store.markSeen(ALICE, MID, T), false);
    await batcher.flush();
    assert.equal(await store.markSeen(ALICE, MID, T), false);
    assert.equal(await store.markSeen(BOB, MID, T), true, "seen is per user");
  });
});

Deno.test("a released mark is not seen, even while its batched delete is not committed", async () => {
  await withStore(async ({ kv, batcher, store }) => {
    assert.equal(await store.markSeen(ALICE, MID, T), true);
    await batcher.flush(); // the mark is in KV
    store.release(ALICE, MID); // its delete waits in the batch
    assert.equal(await count(kv, byMessengerPrefix), 1, "the delete is not committed yet");
    assert.equal(
      await store.markSeen(ALICE, MID, T),
      true,
      "a redelivery was taken for a duplicate",
    );
    assert.equal(await store.markSeen(ALICE, MID, T), false);
    await batcher.flush();
    assert.equal(await store.markSeen(ALICE, MID, T), false, "the new mark was committed");
  });
});

Deno.test("concurrent markSeen calls for one id: exactly one is first", async () => {
  await withStore(async ({ store }) => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.markSeen(ALICE, MID, T)),
    );
    assert.equal(results.filter((first) => first).length, 1);
  });
});

Deno.test("markSeen finds a committed record after the cache forgot it", async () => {
  await withStore(async ({ batcher, store }) => {
    assert.equal(await store.markSeen(ALICE, MID, T), true);
    await batcher.flush();
    for (let i = 1; i <= 5; i++) await store.markSeen(ALICE, asMessageId(`mid.other${i}`), T + i);
    assert.equal(await store.markSeen(ALICE, MID, T), false);
  }, { cacheSize: 2 });
});

Deno.test("records older than the retention are ignored, in the cache and in KV", async () => {
  const retentionMs = 1000;
  await withStore(async ({ batcher, store, clock }) => {
    assert.equal(await store.markSeen(ALICE, MID, T), true);
    store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["xmpp-1"] });
    await batcher.flush();

    clock.now += retentionMs - 1;
    assert.ok(await store.byXmppId(ALICE, "xmpp-1"), "still within retention");

    clock.now += 1;
    assert.equal(await store.byXmppId(ALICE, "xmpp-1"), null, "cached copy expired");
    store.forgetUser(ALICE);
    assert.equal(await store.byMessengerId(ALICE, MID), null, "stored copy expired");
    assert.equal(await store.markSeen(ALICE, MID, T), true, "an expired seen record is forgotten");
  }, { retentionMs });
});

Deno.test("writes carry the retention as KV expireIn (30 days by default)", async () => {
  await withStore(async ({ kv, batcher, store }) => {
    // Observed through a wrapper: the batcher hands expireIn to KV, which cannot be read back.
    const seen: (number | undefined)[] = [];
    const original = batcher.set.bind(batcher);
    batcher.set = (key, value, options = {}) => {
      seen.push(options.expireIn);
      return original(key, value, options);
    };
    await store.markSeen(ALICE, MID, T);
    store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["a", "b"] });
    await batcher.flush();
    assert.deepEqual(
      seen,
      Array(3).fill(DEFAULT_MESSAGE_RETENTION_MS),
      "the link took the mark's place",
    );
    assert.equal(await count(kv, messageIdsPrefix(ALICE)), 4, "and the seen horizon");
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
    await store.markSeen(ALICE, MID, T);
    store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["xmpp-1"] });
    store.link(BOB, { thread: THREAD, messengerId: MID, xmppIds: ["xmpp-1"] });
    await batcher.flush();
    assert.equal(await count(kv, userPrefix(ALICE)), 3, "2 link keys and the horizon");

    await deleteUserData(kv, ALICE);
    store.forgetUser(ALICE);
    assert.equal(await count(kv, userPrefix(ALICE)), 0);
    assert.equal(await store.byXmppId(ALICE, "xmpp-1"), null);
    assert.equal(await store.markSeen(ALICE, MID, T), true);
    assert.ok(await store.byXmppId(BOB, "xmpp-1"), "the other user keeps theirs");
  });
});

Deno.test("a foreign value under a link key is ignored, not trusted", async () => {
  await withStore(async ({ kv, store }) => {
    await kv.set(["user", ALICE, "msg", "by_xmpp", "weird"], { hello: "world" });
    assert.equal(await store.byXmppId(ALICE, "weird"), null);
  });
});

Deno.test("new messages are told apart from duplicates without reading their seen record", async () => {
  await withStore(async ({ kv, batcher, store }) => {
    const reads = countGets(kv);
    assert.equal(await store.markSeen(ALICE, MID, T), true);
    assert.equal(reads.gets, 1, "only the horizon, once for the user");
    for (let i = 1; i <= 50; i++) {
      assert.equal(await store.markSeen(ALICE, asMessageId(`mid.new${i}`), T + i), true);
      assert.equal(await store.markSeen(ALICE, asMessageId(`mid.new${i}`), T + i), false);
    }
    assert.equal(reads.gets, 1);
    await batcher.flush();
    const horizon = (await kv.get<Deno.KvU64>(seenHorizonKey(ALICE))).value;
    assert.equal(horizon?.value, BigInt(T + SEEN_HORIZON_AHEAD_MS), "stored once, a minute ahead");
  });
});

Deno.test("a message seen in an earlier run is a duplicate after a restart, one seen later is new", async () => {
  await withDir(async (path) => {
    await oneRun(path, async ({ store }) => {
      for (let i = 0; i < 10; i++) await store.markSeen(ALICE, asMessageId(`mid.${i}`), T + i);
    });
    await oneRun(path, async ({ kv, batcher, store }) => {
      const reads = countGets(kv);
      for (let i = 0; i < 10; i++) {
        assert.equal(
          await store.markSeen(ALICE, asMessageId(`mid.${i}`), T + i),
          false,
          `mid.${i}`,
        );
      }
      assert.equal(reads.gets, 11, "the horizon, then each redelivery's record");
      const later = T + SEEN_HORIZON_AHEAD_MS + 1;
      assert.equal(await store.markSeen(ALICE, asMessageId("mid.later"), later), true);
      assert.equal(reads.gets, 11, "a message past the horizon is new without a read");
      // Older history seen now does not lower the horizon another run starts from.
      const old = await store.markSeen(ALICE, asMessageId("mid.old"), T - 1000);
      assert.equal(old, true);
      await batcher.flush();
      const horizon = (await kv.get<Deno.KvU64>(seenHorizonKey(ALICE))).value;
      assert.equal(horizon?.value, BigInt(later + SEEN_HORIZON_AHEAD_MS));
    });
  });
});

Deno.test("a record the cache dropped is read from KV for a redelivery, however new it was", async () => {
  await withStore(async ({ kv, batcher, store }) => {
    assert.equal(await store.markSeen(ALICE, MID, T + 100), true);
    await batcher.flush();
    // Later messages with *older* timestamps push MID's record out of the cache.
    for (let i = 1; i <= 5; i++) {
      assert.equal(await store.markSeen(ALICE, asMessageId(`mid.old${i}`), T + i), true);
    }
    const reads = countGets(kv);
    assert.equal(await store.markSeen(ALICE, MID, T + 100), false);
    assert.equal(reads.gets, 1, "read from KV, since the cache no longer vouches for it");
  }, { cacheSize: 2 });
});

Deno.test("a linked message is seen, in this run and after a restart", async () => {
  await withDir(async (path) => {
    await oneRun(path, async ({ store }) => {
      store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["xmpp-1"] });
      assert.equal(await store.markSeen(ALICE, MID, Date.now()), false);
    });
    await oneRun(path, async ({ store }) => {
      assert.equal(await store.markSeen(ALICE, MID, Date.now()), false, "found, not overwritten");
      assert.deepEqual((await store.byMessengerId(ALICE, MID))?.xmppIds, ["xmpp-1"]);
    });
  });
});

Deno.test("a message delivered without a usable timestamp is still deduplicated through KV", async () => {
  await withStore(async ({ batcher, store }) => {
    assert.equal(await store.markSeen(ALICE, MID, Number.NaN), true);
    await batcher.flush();
    store.forgetUser(ALICE);
    assert.equal(await store.markSeen(ALICE, MID, Number.NaN), false);
  });
});

Deno.test("seen records of a store written before horizons existed are still found", async () => {
  await withStore(async ({ kv, batcher, store, clock }) => {
    // As an older version left them: seen records, no horizon.
    await kv.set([...seenPrefix, MID], clock.now - 5000);
    const reads = countGets(kv);
    assert.equal(await store.markSeen(ALICE, MID, clock.now - 6000), false, "read from KV");
    assert.equal(reads.gets, 2, "the missing horizon, then the record");
    await batcher.flush();
    const horizon = (await kv.get<Deno.KvU64>(seenHorizonKey(ALICE))).value;
    assert.equal(
      horizon?.value,
      BigInt(clock.now + LEGACY_HORIZON_MARGIN_MS),
      "covers them from now on",
    );
  });
});

Deno.test("a stanza named by its Messenger id costs no second record, and is found by it", async () => {
  await withDir(async (path) => {
    await oneRun(path, async ({ kv, batcher, store }) => {
      assert.equal(await store.markSeen(ALICE, MID, T), true);
      store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: [MID, `${MID}#1`] });
      await batcher.flush();
      assert.equal(await count(kv, ["user", ALICE, "msg", "by_xmpp"]), 1, "only the attachment's");
    });
    await oneRun(path, async ({ batcher, store }) => {
      assert.equal((await store.byXmppId(ALICE, MID))?.messengerId, MID);
      assert.equal((await store.byXmppId(ALICE, `${MID}#1`))?.messengerId, MID);
      // Relinked under other stanza ids: the Messenger id no longer names a stanza.
      store.link(ALICE, { thread: THREAD, messengerId: MID, xmppIds: ["other"] });
      store.forgetUser(ALICE);
      await batcher.flush();
      assert.equal(await store.byXmppId(ALICE, MID), null);
    });
  });
});
