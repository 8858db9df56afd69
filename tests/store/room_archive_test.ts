import assert from "node:assert/strict";
import { join } from "node:path";
import { asMessageId, asThreadId, asUserId } from "../../src/messenger/ids.ts";
import { roomArchivePrefix, userPrefix } from "../../src/store/keys.ts";
import {
  type ArchivedMessage,
  type ArchivePage,
  type ArchiveQuery,
  compareBounds,
  RoomArchives,
  UnknownArchiveIdError,
} from "../../src/store/room_archive.ts";
import { deleteUserData } from "../../src/store/user_records.ts";
import { WriteBatcher } from "../../src/store/write_batcher.ts";
import { countGets } from "./_commit_counter.ts";
import { failingKv, StoreFault } from "./_failing_kv.ts";

const ALICE = "alice@example.org";
const BOB = "bob@example.org";
const ROOM = asThreadId("900001");
const OTHER_ROOM = asThreadId("900002");
const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Fixture {
  kv: Deno.Kv;
  batcher: WriteBatcher;
  archives: RoomArchives;
  clock: { now: number };
  path: string;
}

/** An archive store over a KV in a temp folder; the batcher commits only when flushed or full. */
async function withArchives(
  fn: (f: Fixture) => Promise<void>,
  options: { retentionDays?: number; maxPendingWrites?: number; now?: number } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mg-archive-" });
  const path = join(dir, "test.db");
  const kv = await Deno.openKv(path);
  const batcher = new WriteBatcher(kv, { intervalMs: 60_000 });
  const clock = { now: options.now ?? T0 + 10 * DAY };
  const archives = new RoomArchives(kv, batcher, { ...options, now: () => clock.now });
  try {
    await fn({ kv, batcher, archives, clock, path });
  } finally {
    await batcher.close();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function message(
  id: string,
  timestamp: number,
  extra: Partial<ArchivedMessage> = {},
): ArchivedMessage {
  return {
    id: asMessageId(id),
    timestamp,
    actor: asUserId("100002"),
    nick: "Bob",
    fromSelf: false,
    text: `text of ${id}`,
    attachments: [],
    ...extra,
  };
}

/** Ids `m000`, `m001`, … one minute apart from T0 (ids sort like their times). */
async function fill(
  archives: RoomArchives,
  n: number,
  nickOf: (i: number) => string = () => "Bob",
): Promise<string[]> {
  const archive = archives.forRoom(ALICE, ROOM);
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `m${String(i).padStart(3, "0")}`;
    ids.push(id);
    await archive.append(message(id, T0 + i * MINUTE, { nick: nickOf(i) }));
  }
  return ids;
}

function ids(page: ArchivePage): string[] {
  return page.messages.map((m) => m.id);
}

async function keysUnder(kv: Deno.Kv, prefix: Deno.KvKey): Promise<number> {
  let n = 0;
  for await (const _ of kv.list({ prefix })) n++;
  return n;
}

Deno.test("an appended message is found by get before its batch is committed, and by query", async () => {
  await withArchives(async ({ kv, batcher, archives }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    await archive.append(message("m1", T0, { originId: "client-1", text: "hello" }));
    assert.ok(batcher.pending > 0, "the writes wait in the batcher");
    assert.equal(await keysUnder(kv, roomArchivePrefix(ALICE, ROOM)), 0);

    const got = await archive.get("m1");
    assert.equal(got?.text, "hello");
    assert.equal(got?.originId, "client-1");

    const page = await archive.query({ max: 10 });
    assert.deepEqual(ids(page), ["m1"]);
    assert.equal(page.count, 1);
    assert.equal(batcher.pending, 0, "the query committed the batch first");
  });
});

Deno.test("an append that is not awaited is still seen by the next read of the archive", async () => {
  await withArchives(async ({ archives }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    const appended = archive.append(message("m1", T0));
    assert.equal((await archive.get("m1"))?.id, "m1");
    assert.equal(await archive.count(), 1);
    await appended;
  });
});

Deno.test("an empty archive answers an empty, complete page and no bounds", async () => {
  await withArchives(async ({ archives }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    assert.deepEqual(await archive.query({ max: 50 }), { messages: [], complete: true, count: 0 });
    assert.deepEqual(await archive.query({ max: 50, before: "" }), {
      messages: [],
      complete: true,
      count: 0,
    });
    assert.deepEqual(await archive.recent(20), []);
    assert.equal(await archive.count(), 0);
    assert.equal(await archive.bounds(), null);
    assert.equal(await archive.get("m1"), null);
  });
});

Deno.test("paging forwards: first/last ids, index, count and complete on each page", async () => {
  await withArchives(async ({ archives }) => {
    const all = await fill(archives, 120);
    const archive = archives.forRoom(ALICE, ROOM);

    const first = await archive.query({ max: 50 });
    assert.deepEqual(ids(first), all.slice(0, 50));
    assert.deepEqual(
      { first: first.first, last: first.last, index: first.firstIndex, count: first.count },
      { first: "m000", last: "m049", index: 0, count: 120 },
    );
    assert.equal(first.complete, false);

    const second = await archive.query({ max: 50, after: first.last });
    assert.deepEqual(ids(second), all.slice(50, 100));
    assert.equal(second.firstIndex, 50);
    assert.equal(second.complete, false);

    const third = await archive.query({ max: 50, after: second.last });
    assert.deepEqual(ids(third), all.slice(100));
    assert.equal(third.firstIndex, 100);
    assert.equal(third.count, 120);
    assert.equal(third.complete, true);

    const past = await archive.query({ max: 50, after: third.last });
    assert.deepEqual(past, { messages: [], complete: true, count: 120 });
  });
});

Deno.test("paging backwards from the last page (empty before) to the start", async () => {
  await withArchives(async ({ archives }) => {
    const all = await fill(archives, 120);
    const archive = archives.forRoom(ALICE, ROOM);

    const last = await archive.query({ max: 50, before: "" });
    assert.deepEqual(ids(last), all.slice(70), "chronological within the page");
    assert.equal(last.firstIndex, 70);
    assert.equal(last.complete, false);

    const middle = await archive.query({ max: 50, before: last.first });
    assert.deepEqual(ids(middle), all.slice(20, 70));
    assert.equal(middle.firstIndex, 20);
    assert.equal(middle.complete, false);

    const start = await archive.query({ max: 50, before: middle.first });
    assert.deepEqual(ids(start), all.slice(0, 20));
    assert.equal(start.firstIndex, 0);
    assert.equal(start.complete, true);
  });
});

Deno.test("flip-page reverses the order within the page, not which messages nor first/last", async () => {
  await withArchives(async ({ archives }) => {
    const all = await fill(archives, 30);
    const archive = archives.forRoom(ALICE, ROOM);
    const plain = await archive.query({ max: 10, before: "" });
    const flipped = await archive.query({ max: 10, before: "", flip: true });
    assert.deepEqual(ids(flipped), all.slice(20).reverse());
    assert.equal(flipped.first, plain.first);
    assert.equal(flipped.last, plain.last);
    assert.equal(flipped.firstIndex, 20);
    const forward = await archive.query({ max: 10, after: "m004", flip: true });
    assert.deepEqual(ids(forward), all.slice(5, 15).reverse());
    assert.equal(forward.first, "m005");
  });
});

Deno.test("messages with equal timestamps keep the order they were archived in", async () => {
  await withArchives(async ({ archives }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    for (const id of ["zz", "mm", "aa"]) await archive.append(message(id, T0));
    await archive.append(message("later", T0 + 1));
    await archive.append(message("earlier", T0 - 1));
    assert.deepEqual(ids(await archive.query({ max: 10 })), ["earlier", "zz", "mm", "aa", "later"]);
    const afterMm = await archive.query({ max: 10, after: "mm" });
    assert.deepEqual(ids(afterMm), ["aa", "later"]);
    assert.equal(afterMm.firstIndex, 3);
    assert.deepEqual(ids(await archive.query({ max: 10, before: "mm" })), ["earlier", "zz"]);
  });
});

Deno.test("withNick keeps one author's messages, with its own count and paging", async () => {
  await withArchives(async ({ archives }) => {
    await fill(archives, 30, (i) => (i % 3 === 0 ? "Carol" : "Bob"));
    const archive = archives.forRoom(ALICE, ROOM);
    const carol = await archive.query({ withNick: "Carol", max: 4 });
    assert.deepEqual(ids(carol), ["m000", "m003", "m006", "m009"]);
    assert.equal(carol.count, 10);
    assert.equal(carol.complete, false);
    // RSM positions may name any archived message, also one by someone else.
    const next = await archive.query({ withNick: "Carol", max: 4, after: "m010" });
    assert.deepEqual(ids(next), ["m012", "m015", "m018", "m021"]);
    assert.equal(next.firstIndex, 4);
    const last = await archive.query({ withNick: "Carol", max: 4, before: "" });
    assert.deepEqual(ids(last), ["m018", "m021", "m024", "m027"]);
    assert.equal(last.firstIndex, 6);
    assert.deepEqual(await archive.query({ withNick: "Dave", max: 4 }), {
      messages: [],
      complete: true,
      count: 0,
    });
    // A nick longer than any stored one (and than a KV key allows) matches nothing.
    assert.deepEqual(await archive.query({ withNick: "é".repeat(1000), max: 4 }), {
      messages: [],
      complete: true,
      count: 0,
    });
  });
});

Deno.test("start and end are inclusive and may carry a fraction of a millisecond", async () => {
  await withArchives(async ({ archives }) => {
    await fill(archives, 10);
    const archive = archives.forRoom(ALICE, ROOM);
    const inclusive = await archive.query({
      start: T0 + 2 * MINUTE,
      end: T0 + 5 * MINUTE,
      max: 50,
    });
    assert.deepEqual(ids(inclusive), ["m002", "m003", "m004", "m005"]);
    assert.equal(inclusive.count, 4);
    assert.equal(inclusive.firstIndex, 0);
    const fractional = await archive.query({
      start: T0 + 2 * MINUTE + 0.5,
      end: T0 + 5 * MINUTE - 0.5,
      max: 50,
    });
    assert.deepEqual(ids(fractional), ["m003", "m004"]);
    const reversed = await archive.query({ start: T0 + 5 * MINUTE, end: T0, max: 50 });
    assert.deepEqual(reversed, { messages: [], complete: true, count: 0 });
    const lastTwo = await archive.query({ start: T0 + 2 * MINUTE, max: 2, before: "" });
    assert.deepEqual(ids(lastTwo), ["m008", "m009"]);
    assert.equal(lastTwo.firstIndex, 6);
    assert.equal(lastTwo.count, 8);
  });
});

Deno.test("afterId and beforeId bound the result set exclusively, unlike RSM they page forwards", async () => {
  await withArchives(async ({ archives }) => {
    await fill(archives, 20);
    const archive = archives.forRoom(ALICE, ROOM);
    const after = await archive.query({ afterId: "m015", max: 50 });
    assert.deepEqual(ids(after), ["m016", "m017", "m018", "m019"]);
    assert.equal(after.count, 4);
    const between = await archive.query({ afterId: "m003", beforeId: "m010", max: 3 });
    assert.deepEqual(ids(between), ["m004", "m005", "m006"], "the oldest first, not the newest");
    assert.equal(between.count, 6);
    assert.equal(between.complete, false);
    const rest = await archive.query({ afterId: "m003", beforeId: "m010", max: 3, after: "m006" });
    assert.deepEqual(ids(rest), ["m007", "m008", "m009"]);
    assert.equal(rest.complete, true);
    assert.equal(rest.firstIndex, 3);
    const withStart = await archive.query({ afterId: "m003", start: T0 + 8 * MINUTE, max: 2 });
    assert.deepEqual(ids(withStart), ["m008", "m009"]);
    assert.equal(withStart.count, 12);
    const backwardsInside = await archive.query({
      afterId: "m003",
      beforeId: "m010",
      max: 2,
      before: "",
    });
    assert.deepEqual(ids(backwardsInside), ["m008", "m009"]);
    assert.equal(backwardsInside.firstIndex, 4);
    const crossed = await archive.query({ afterId: "m010", beforeId: "m003", max: 5 });
    assert.deepEqual(crossed, { messages: [], complete: true, count: 0 });
  });
});

Deno.test("ids fetch the named messages in archive order, filtered and paged like any query", async () => {
  await withArchives(async ({ archives }) => {
    await fill(archives, 20, (i) => (i % 2 === 0 ? "Carol" : "Bob"));
    const archive = archives.forRoom(ALICE, ROOM);
    const named = await archive.query({ ids: ["m012", "m003", "m007", "m003"], max: 50 });
    assert.deepEqual(ids(named), ["m003", "m007", "m012"]);
    assert.deepEqual({ count: named.count, index: named.firstIndex, complete: named.complete }, {
      count: 3,
      index: 0,
      complete: true,
    });
    const carol = await archive.query({
      ids: ["m012", "m003", "m004"],
      withNick: "Carol",
      max: 50,
    });
    assert.deepEqual(ids(carol), ["m004", "m012"]);
    const late = await archive.query({ ids: ["m012", "m003"], start: T0 + 5 * MINUTE, max: 50 });
    assert.deepEqual(ids(late), ["m012"]);
    const paged = await archive.query({ ids: ["m001", "m002", "m003", "m004"], max: 2 });
    assert.deepEqual(ids(paged), ["m001", "m002"]);
    assert.equal(paged.complete, false);
    const lastOfThem = await archive.query({
      ids: ["m001", "m002", "m003", "m004"],
      max: 2,
      before: "",
    });
    assert.deepEqual(ids(lastOfThem), ["m003", "m004"]);
    assert.equal(lastOfThem.firstIndex, 2);
    const afterOne = await archive.query({ ids: ["m001", "m002", "m003"], max: 5, after: "m001" });
    assert.deepEqual(ids(afterOne), ["m002", "m003"]);
    assert.equal(afterOne.firstIndex, 1);
    const flipped = await archive.query({ ids: ["m001", "m002", "m003"], max: 5, flip: true });
    assert.deepEqual(ids(flipped), ["m003", "m002", "m001"]);
    assert.equal(flipped.first, "m001");
  });
});

Deno.test("an unknown id anywhere in a query is an UnknownArchiveIdError naming it", async () => {
  await withArchives(async ({ archives }) => {
    await fill(archives, 5);
    const archive = archives.forRoom(ALICE, ROOM);
    const queries: [ArchiveQuery, string][] = [
      [{ max: 5, after: "nope-1" }, "nope-1"],
      [{ max: 5, before: "nope-2" }, "nope-2"],
      [{ max: 5, afterId: "nope-3" }, "nope-3"],
      [{ max: 5, beforeId: "nope-4" }, "nope-4"],
      [{ max: 5, ids: ["m001", "nope-5"] }, "nope-5"],
      [{ max: 5, ids: [""] }, ""],
      [{ max: 5, after: "x".repeat(5000) }, "x".repeat(5000)],
    ];
    for (const [query, id] of queries) {
      await assert.rejects(archive.query(query), (error) => {
        assert.ok(error instanceof UnknownArchiveIdError, String(error));
        assert.equal(error.id, id);
        return true;
      });
    }
    // Another room's message is unknown here.
    await archives.forRoom(ALICE, OTHER_ROOM).append(message("elsewhere", T0));
    await assert.rejects(archive.query({ max: 5, after: "elsewhere" }), UnknownArchiveIdError);
  });
});

Deno.test("max 0 asks only for the count", async () => {
  await withArchives(async ({ archives }) => {
    await fill(archives, 7);
    const archive = archives.forRoom(ALICE, ROOM);
    assert.deepEqual(await archive.query({ max: 0 }), { messages: [], complete: false, count: 7 });
    assert.deepEqual(await archive.query({ max: 0, after: "m006" }), {
      messages: [],
      complete: true,
      count: 7,
    });
    await assert.rejects(archive.query({ max: -1 }), RangeError);
    await assert.rejects(archive.query({ max: 1.5 }), RangeError);
    await assert.rejects(archive.query({ max: 5, start: Number.NaN }), RangeError);
  });
});

Deno.test("the same id twice replaces the message in place, never duplicates it", async () => {
  await withArchives(async ({ archives }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    await archive.append(message("a", T0));
    await archive.append(message("b", T0 + MINUTE));
    await archive.append(message("c", T0 + 2 * MINUTE));
    await archive.append(message("b", T0 + MINUTE, { text: "edited" }));
    const page = await archive.query({ max: 10 });
    assert.deepEqual(ids(page), ["a", "b", "c"]);
    assert.equal(page.messages[1].text, "edited");
    assert.equal(page.count, 3);
    assert.equal(await archive.count(), 3);
  });
});

Deno.test("the same id with another time or nick moves the message and its counts", async () => {
  await withArchives(async ({ archives }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    await archive.append(message("a", T0));
    await archive.append(message("b", T0 + MINUTE));
    await archive.append(message("c", T0 + 3 * DAY));
    await archive.append(message("a", T0 + 2 * DAY, { nick: "Carol" }));
    const page = await archive.query({ max: 10 });
    assert.deepEqual(ids(page), ["b", "a", "c"]);
    assert.equal(page.count, 3);
    assert.deepEqual(ids(await archive.query({ withNick: "Bob", max: 10 })), ["b", "c"]);
    const carol = await archive.query({ withNick: "Carol", max: 10 });
    assert.deepEqual(ids(carol), ["a"]);
    assert.equal(carol.count, 1);
    assert.equal((await archive.query({ withNick: "Bob", max: 0 })).count, 2);
    assert.equal((await archive.query({ start: T0 + DAY, max: 0 })).count, 2);
    assert.equal((await archive.get("a"))?.nick, "Carol");
  });
});

Deno.test("a message archived in this run and appended again later moves, never duplicates", async () => {
  await withArchives(async ({ archives }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    await archive.append(message("a", T0));
    await archive.append(message("b", T0 + MINUTE));
    // Later than everything archived, but its id was archived by this process: it is read.
    await archive.append(message("a", T0 + 2 * MINUTE, { text: "again" }));
    const page = await archive.query({ max: 10 });
    assert.deepEqual(ids(page), ["b", "a"]);
    assert.equal(page.messages[1].text, "again");
    assert.equal(page.count, 2);
    assert.equal((await archive.query({ withNick: "Bob", max: 0 })).count, 2);
  });
});

Deno.test("new messages are archived without reading KV once the archive's end and counts are known", async () => {
  await withArchives(async ({ kv, archives }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    const reads = countGets(kv);
    await archive.append(message("m0", T0));
    assert.equal(reads.gets, 1, "the counts of the hour and day, once (the end is listed)");
    for (let i = 1; i <= 40; i++) {
      await archive.append(message(`m${i}`, T0 + i * 1000, { nick: i % 2 ? "Bob" : "Carol" }));
    }
    assert.equal(reads.gets, 2, "Carol's counts, once");
    // Equal times are new messages too, as long as the id was not archived.
    await archive.append(message("same-time", T0 + 40_000));
    assert.equal(reads.gets, 2);
    assert.equal(await archive.count(), 42); // Commits: what follows is read from KV.
    // A message archived before is read: a replacement, in place.
    await archive.append(message("m7", T0 + 7000, { nick: "Bob", text: "edited" }));
    assert.equal(reads.gets, 3);
    const page = await archive.query({ max: 100 });
    assert.equal(page.count, 42);
    assert.equal(page.messages[7].text, "edited");
    assert.equal((await archive.query({ withNick: "Carol", max: 0 })).count, 20);
  });
});

Deno.test("past the ids an archive remembers, earlier ones are still replaced and later ones moved", async () => {
  await withArchives(async ({ archives }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    const all = await fill(archives, 300);
    await archive.append(message(all[10], T0 + 10 * MINUTE, { text: "edited" }));
    await archive.append(message(all[299], T0 + 400 * MINUTE));
    await archive.append(message(all[298], T0 + 298 * MINUTE, { nick: "Carol" }));
    const page = await archive.query({ max: 300 });
    assert.equal(page.count, 300);
    assert.equal(page.messages[10].text, "edited");
    assert.deepEqual(ids(page).slice(-2), [all[298], all[299]]);
    assert.equal((await archive.query({ withNick: "Carol", max: 0 })).count, 1);
    assert.equal((await archive.query({ withNick: "Bob", max: 0 })).count, 299);
  });
});

Deno.test("after a restart an earlier message appended again is a replacement, a new one needs no read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mg-archive-" });
  const path = join(dir, "test.db");
  const now = () => T0 + HOUR;
  try {
    {
      const kv = await Deno.openKv(path);
      const batcher = new WriteBatcher(kv, { intervalMs: 60_000 });
      const archive = new RoomArchives(kv, batcher, { now }).forRoom(ALICE, ROOM);
      await archive.append(message("a", T0));
      await archive.append(message("b", T0 + MINUTE));
      await batcher.close();
      kv.close();
    }
    const kv = await Deno.openKv(path);
    const batcher = new WriteBatcher(kv, { intervalMs: 60_000 });
    try {
      const archive = new RoomArchives(kv, batcher, { now }).forRoom(ALICE, ROOM);
      const reads = countGets(kv);
      await archive.append(message("b", T0 + MINUTE, { text: "redelivered" }));
      await archive.append(message("a", T0));
      assert.equal(reads.gets, 2, "each id is read: they are not newer than the archive's end");
      await archive.append(message("c", T0 + 2 * MINUTE));
      assert.equal(reads.gets, 2, "a newer one is new, and its counts are known");
      const page = await archive.query({ max: 10 });
      assert.deepEqual(ids(page), ["a", "b", "c"]);
      assert.equal(page.messages[1].text, "redelivered");
      assert.equal(page.count, 3);
    } finally {
      await batcher.close();
      kv.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("after a lost write the counts are read again, so they agree with the messages kept", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mg-archive-" });
  const real = await Deno.openKv(join(dir, "test.db"));
  const fault = new StoreFault();
  const kv = failingKv(real, fault);
  const batcher = new WriteBatcher(kv, { intervalMs: 60_000 });
  try {
    const archive = new RoomArchives(kv, batcher, { now: () => T0 + HOUR }).forRoom(ALICE, ROOM);
    await archive.append(message("a", T0));
    assert.equal(await archive.count(), 1);
    fault.failing = true;
    await archive.append(message("b", T0 + MINUTE));
    await archive.append(message("c", T0 + 2 * MINUTE));
    assert.equal(await archive.count(), 1, "b and c were lost with their counts");
    assert.ok(batcher.lost > 0);
    fault.failing = false;
    await archive.append(message("d", T0 + 3 * MINUTE));
    const page = await archive.query({ max: 10 });
    assert.deepEqual(ids(page), ["a", "d"]);
    assert.equal(page.count, 2);
    assert.equal((await archive.query({ withNick: "Bob", max: 0 })).count, 2);
    // b was never stored: archived again, it is a new message.
    await archive.append(message("b", T0 + MINUTE));
    assert.equal(await archive.count(), 3);
  } finally {
    await batcher.close();
    real.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("update changes a stored message, also in the nick index, and ignores unknown ids", async () => {
  await withArchives(async ({ archives }) => {
    await fill(archives, 3);
    const archive = archives.forRoom(ALICE, ROOM);
    const updated = await archive.update("m001", { retracted: true, text: "", attachments: [] });
    assert.equal(updated?.retracted, true);
    assert.equal(updated?.timestamp, T0 + MINUTE, "time and author are kept");
    assert.equal((await archive.get("m001"))?.retracted, true);
    const page = await archive.query({ max: 10 });
    assert.deepEqual(ids(page), ["m000", "m001", "m002"]);
    assert.equal(page.messages[1].retracted, true);
    assert.equal(page.messages[1].text, "");
    assert.equal(
      (await archive.query({ withNick: "Bob", ids: ["m001"], max: 1 })).messages[0].retracted,
      true,
    );
    assert.equal(await archive.update("unknown", { retracted: true }), null);
    assert.equal(await archive.count(), 3);
  });
});

Deno.test("messages older than the retention are never returned, even before KV deletes them", async () => {
  await withArchives(async ({ archives, clock }) => {
    clock.now = T0 + 20 * MINUTE;
    await fill(archives, 10);
    const archive = archives.forRoom(ALICE, ROOM);
    assert.equal(await archive.count(), 10);
    // Two days of retention: move the clock so that m000…m003 are just older than that.
    clock.now = T0 + 2 * DAY + 3 * MINUTE;
    assert.equal(await archive.get("m003"), null);
    assert.equal((await archive.get("m004"))?.id, "m004");
    const page = await archive.query({ max: 50 });
    assert.deepEqual(ids(page), ["m004", "m005", "m006", "m007", "m008", "m009"]);
    assert.equal(page.count, 6);
    assert.equal(page.firstIndex, 0);
    assert.equal(await archive.count(), 6);
    assert.equal((await archive.bounds())?.first.id, "m004");
    assert.deepEqual((await archive.recent(50)).map((m) => m.id), ids(page));
    await assert.rejects(archive.query({ max: 5, after: "m002" }), UnknownArchiveIdError);
    await assert.rejects(archive.query({ max: 5, ids: ["m003"] }), UnknownArchiveIdError);
    assert.equal(await archive.update("m001", { text: "late" }), null);
    // A message that is already too old when it arrives is not archived.
    await archive.append(message("old", T0 - DAY));
    assert.equal(await archive.get("old"), null);
    assert.equal(await archive.count(), 6);
  }, { retentionDays: 2 });
});

Deno.test("a retention of 0 days keeps nothing", async () => {
  await withArchives(async ({ kv, batcher, archives }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    await archive.append(message("m1", T0 + 10 * DAY));
    assert.equal(batcher.pending, 0);
    assert.equal(await archive.get("m1"), null);
    assert.deepEqual(await archive.query({ max: 5 }), { messages: [], complete: true, count: 0 });
    await assert.rejects(archive.query({ max: 5, after: "m1" }), UnknownArchiveIdError);
    assert.equal(await keysUnder(kv, roomArchivePrefix(ALICE, ROOM)), 0);
    await archive.markBackfilled();
    assert.equal(await archive.isBackfilled(), true);
  }, { retentionDays: 0 });
});

Deno.test("a retention that is not a number of days ≥ 0 is refused", async () => {
  await withArchives(({ kv, batcher }) => {
    assert.throws(() => new RoomArchives(kv, batcher, { retentionDays: -1 }), /retention/);
    assert.throws(() => new RoomArchives(kv, batcher, { retentionDays: Number.NaN }), /retention/);
    return Promise.resolve();
  });
});

Deno.test("ids, order, counts and the backfill mark are the same after the store is reopened", async () => {
  const dir = await Deno.makeTempDir({ prefix: "mg-archive-" });
  const path = join(dir, "test.db");
  let now = T0 + HOUR;
  try {
    {
      const kv = await Deno.openKv(path);
      const batcher = new WriteBatcher(kv, { intervalMs: 60_000 });
      const archive = new RoomArchives(kv, batcher, { now: () => now }).forRoom(ALICE, ROOM);
      for (const id of ["zz", "mm", "aa"]) await archive.append(message(id, T0));
      await archive.append(message("b", T0 + MINUTE, { nick: "Carol" }));
      await archive.markBackfilled();
      await batcher.close();
      kv.close();
    }
    now += MINUTE; // the restart takes some time
    const kv = await Deno.openKv(path);
    const batcher = new WriteBatcher(kv, { intervalMs: 60_000 });
    try {
      const archive = new RoomArchives(kv, batcher, { now: () => now }).forRoom(ALICE, ROOM);
      assert.equal(await archive.isBackfilled(), true);
      await archive.append(message("new", T0));
      const page = await archive.query({ max: 10 });
      assert.deepEqual(ids(page), ["zz", "mm", "aa", "new", "b"]);
      assert.equal(page.count, 5);
      assert.deepEqual(ids(await archive.query({ withNick: "Carol", max: 10 })), ["b"]);
      assert.equal((await archive.query({ max: 2, after: "aa" })).firstIndex, 3);
      assert.equal((await archive.get("mm"))?.text, "text of mm");
      assert.equal(
        await new RoomArchives(kv, batcher).forRoom(ALICE, OTHER_ROOM).isBackfilled(),
        false,
      );
    } finally {
      await batcher.close();
      kv.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("backfill is marked per room and per user, readable before the commit", async () => {
  await withArchives(async ({ batcher, archives }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    assert.equal(await archive.isBackfilled(), false);
    await archive.markBackfilled();
    assert.ok(batcher.pending > 0);
    assert.equal(await archive.isBackfilled(), true);
    assert.equal(await archives.forRoom(ALICE, OTHER_ROOM).isBackfilled(), false);
    assert.equal(await archives.forRoom(BOB, ROOM).isBackfilled(), false);
  });
});

Deno.test("recent gives the newest messages oldest first, within maxstanzas, maxchars and since", async () => {
  await withArchives(async ({ archives }) => {
    const all = await fill(archives, 20);
    const archive = archives.forRoom(ALICE, ROOM);
    assert.deepEqual((await archive.recent(5)).map((m) => m.id), all.slice(15));
    assert.deepEqual((await archive.recent(0)).map((m) => m.id), []);
    assert.deepEqual(
      (await archive.recent(50, { sinceMs: T0 + 17 * MINUTE })).map((m) => m.id),
      all.slice(17),
    );
    // Each text is "text of mNNN": 12 characters.
    assert.deepEqual((await archive.recent(50, { maxChars: 40 })).map((m) => m.id), all.slice(17));
    assert.deepEqual((await archive.recent(50, { maxChars: 11 })).map((m) => m.id), []);
    assert.deepEqual((await archive.recent(50, { maxChars: 0 })).map((m) => m.id), []);
    assert.deepEqual(
      (await archive.recent(50, { maxChars: 1000, charsOf: () => 400 })).map((m) => m.id),
      all.slice(18),
    );
  });
});

Deno.test("bounds names the oldest and newest message", async () => {
  await withArchives(async ({ archives }) => {
    await fill(archives, 5);
    const bounds = await archives.forRoom(ALICE, ROOM).bounds();
    assert.equal(bounds?.first.id, "m000");
    assert.equal(bounds?.last.id, "m004");
  });
});

Deno.test("archives are per user and per room", async () => {
  await withArchives(async ({ archives }) => {
    await archives.forRoom(ALICE, ROOM).append(message("a", T0));
    await archives.forRoom(ALICE, OTHER_ROOM).append(message("b", T0));
    await archives.forRoom(BOB, ROOM).append(message("c", T0));
    assert.deepEqual(ids(await archives.forRoom(ALICE, ROOM).query({ max: 5 })), ["a"]);
    assert.deepEqual(ids(await archives.forRoom(ALICE, OTHER_ROOM).query({ max: 5 })), ["b"]);
    assert.deepEqual(ids(await archives.forRoom(BOB, ROOM).query({ max: 5 })), ["c"]);
    assert.equal(await archives.forRoom(BOB, ROOM).get("a"), null);
    assert.equal(archives.forRoom(ALICE, ROOM), archives.forRoom(ALICE, ROOM));
  });
});

Deno.test("unregistration deletes the user's archives with the rest of their data", async () => {
  await withArchives(async ({ kv, batcher, archives }) => {
    await fill(archives, 5);
    await archives.forRoom(ALICE, ROOM).markBackfilled();
    await archives.forRoom(BOB, ROOM).append(message("c", T0));
    await batcher.flush();
    assert.ok(await keysUnder(kv, userPrefix(ALICE)) > 0);
    await deleteUserData(kv, ALICE);
    archives.forgetUser(ALICE);
    assert.equal(await keysUnder(kv, userPrefix(ALICE)), 0);
    const fresh = archives.forRoom(ALICE, ROOM);
    assert.equal(await fresh.count(), 0);
    assert.equal(await fresh.isBackfilled(), false);
    assert.equal(await archives.forRoom(BOB, ROOM).count(), 1);
  });
});

Deno.test("appends do not commit on their own, and held writes are bounded", async () => {
  await withArchives(async ({ batcher, archives }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    await archive.append(message("m1", T0));
    await archive.append(message("m2", T0 + 1));
    assert.ok(batcher.pending >= 2 * 7, `each append queues its writes (${batcher.pending})`);
    // Past maxPendingWrites an append waits for a commit, so memory stays bounded.
    for (let i = 3; i < 10; i++) await archive.append(message(`m${i}`, T0 + i));
    assert.ok(batcher.pending < 40, `settled on the way (${batcher.pending} pending)`);
    assert.equal(await archive.count(), 9);
  }, { maxPendingWrites: 30 });
});

Deno.test("a message that cannot be archived is refused with a RangeError", async () => {
  await withArchives(async ({ archives }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    await assert.rejects(archive.append(message("", T0)), RangeError);
    await assert.rejects(archive.append(message("x".repeat(513), T0)), /too long to archive/);
    await assert.rejects(archive.append(message("m1", T0 + 0.5)), /integer timestamp/);
    await assert.rejects(archive.append(message("m1", T0, { nick: "n".repeat(257) })), RangeError);
    // The archive still works afterwards.
    await archive.append(message("m1", T0));
    assert.equal(await archive.count(), 1);
  });
});

Deno.test("a stored message cannot be changed through the object given or returned", async () => {
  await withArchives(async ({ archives }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    const original = message("m1", T0, { text: "kept" });
    await archive.append(original);
    original.text = "changed by the caller";
    const got = await archive.get("m1");
    assert.equal(got?.text, "kept");
    if (got) got.text = "changed again";
    assert.equal((await archive.get("m1"))?.text, "kept");
  });
});

Deno.test("compareBounds orders keys exactly as Deno KV lists them", async () => {
  await withArchives(async ({ kv }) => {
    const parts: Deno.KvKey[] = [
      [5],
      [5, 1, "b"],
      [5, 1, "b", new Uint8Array(0)],
      [5, 1, "c"],
      [5, 1, "é"],
      [5, 1, "\uffff"],
      [5, 1, "😀"],
      [5, 2, "a"],
      [5.5],
      [-3, 9, "z"],
      [6],
      [1e15, 0, ""],
    ];
    for (const key of parts) await kv.set(["order", ...key], true);
    const listed: Deno.KvKey[] = [];
    for await (const entry of kv.list({ prefix: ["order"] })) listed.push(entry.key.slice(1));
    const sorted = [...parts].sort((a, b) => compareBounds([...a], [...b]));
    assert.deepEqual(sorted, listed);
  });
});

/** A small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("counts, indexes and pages agree with a brute-force model over days of messages", async () => {
  // SEED=n replays another sequence of messages and queries.
  const rand = random(Number(Deno.env.get("SEED") ?? 42));
  const now = T0 + 6 * DAY;
  await withArchives(async ({ archives, clock }) => {
    const archive = archives.forRoom(ALICE, ROOM);
    const nicks = ["Bob", "Carol", "Dave"];
    /** The model: id → message, in the order appended (for equal-time ties). */
    const model = new Map<string, { message: ArchivedMessage; order: number }>();
    let order = 0;
    for (let i = 0; i < 400; i++) {
      // Times over 5 days before now, many of them equal (to the second) to test ties.
      const timestamp = now - Math.floor(rand() * 5 * DAY / 1000) * 1000;
      const replace = i > 20 && rand() < 0.1;
      const id = replace ? [...model.keys()][Math.floor(rand() * model.size)] : `r${i}`;
      const msg = message(
        id,
        replace && rand() < 0.5 ? model.get(id)!.message.timestamp : timestamp,
        {
          nick: nicks[Math.floor(rand() * nicks.length)],
        },
      );
      const previous = model.get(id);
      const samePlace = previous !== undefined &&
        previous.message.timestamp === msg.timestamp && previous.message.nick === msg.nick;
      model.set(id, { message: msg, order: samePlace ? previous.order : order++ });
      await archive.append(msg);
    }
    clock.now = now + 2 * DAY + 7 * HOUR; // Retention 4 days: the oldest part has expired.
    const cutoff = clock.now - 4 * DAY + 1;
    const sorted = [...model.values()]
      .filter((entry) => entry.message.timestamp >= cutoff)
      .sort((a, b) => a.message.timestamp - b.message.timestamp || a.order - b.order)
      .map((entry) => entry.message);
    const byId = new Map(sorted.map((m, i) => [m.id as string, i]));

    for (let q = 0; q < 120; q++) {
      const query: ArchiveQuery = { max: 1 + Math.floor(rand() * 30) };
      if (rand() < 0.3) query.withNick = nicks[Math.floor(rand() * nicks.length)];
      if (rand() < 0.4) query.start = cutoff + Math.floor(rand() * 3 * DAY);
      if (rand() < 0.4) query.end = cutoff + Math.floor(rand() * 4 * DAY);
      const pick = () => sorted[Math.floor(rand() * sorted.length)].id;
      if (rand() < 0.2) query.afterId = pick();
      if (rand() < 0.2) query.beforeId = pick();
      if (rand() < 0.15) {
        query.ids = Array.from({ length: 1 + Math.floor(rand() * 8) }, pick);
      }
      const paging = rand();
      if (paging < 0.25) query.after = pick();
      else if (paging < 0.5) query.before = pick();
      else if (paging < 0.65) query.before = "";

      const matches = (m: ArchivedMessage) =>
        (query.withNick === undefined || m.nick === query.withNick) &&
        (query.start === undefined || m.timestamp >= query.start) &&
        (query.end === undefined || m.timestamp <= query.end) &&
        (query.afterId === undefined || byId.get(m.id)! > byId.get(query.afterId)!) &&
        (query.beforeId === undefined || byId.get(m.id)! < byId.get(query.beforeId)!) &&
        (query.ids === undefined || query.ids.includes(m.id));
      const set = sorted.filter(matches);
      const pageable = set.filter((m) =>
        (query.after === undefined || byId.get(m.id)! > byId.get(query.after)!) &&
        (!query.before || byId.get(m.id)! < byId.get(query.before)!)
      );
      const backwards = query.before !== undefined;
      const expected = backwards
        ? pageable.slice(Math.max(0, pageable.length - query.max))
        : pageable.slice(0, query.max);

      const page = await archive.query(query);
      const what = JSON.stringify(query);
      assert.deepEqual(ids(page), expected.map((m) => m.id), what);
      assert.equal(page.count, set.length, `count of ${what}`);
      assert.equal(page.complete, pageable.length <= query.max, `complete of ${what}`);
      if (expected.length > 0) {
        assert.equal(page.firstIndex, set.indexOf(expected[0]), `index of ${what}`);
      }
    }
    assert.equal(await archive.count(), sorted.length);
    assert.deepEqual(
      (await archive.recent(25)).map((m) => m.id),
      sorted.slice(-25).map((m) => m.id),
    );
  }, { retentionDays: 4, now });
});
