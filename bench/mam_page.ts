/**
 * A XEP-0313 page of 50 from a 10,000-message room archive (src/store/room_archive.ts), against a
 * single `kv.get` round trip on the same database, measured in the same run.
 *
 * Fills a fresh local KV (temp folder) with `--messages` messages (default 10000, one a minute, five
 * authors) through `RoomArchive.append` and the `WriteBatcher`, as the gateway does, and prints how
 * many KV commits that took per message. Then times, round-robin over `--reps` repetitions (default
 * 200) after a warm-up, the median of:
 *
 * - baseline: `kv.get` of one key;
 * - the first page (`max` 50), a middle page (RSM `after` the 5,000th id), the last page (empty
 *   RSM `before`), a page back from the middle (`before`), a middle page of one author (`with`),
 *   and a count-only query (`max` 0) — each with its exact RSM `count` and `first` index;
 * - for context, once: listing the whole archive (what counting by listing would cost).
 *
 * Prints each median and its RATIO to the baseline: the figures to compare between runs and
 * machines. Nothing is asserted.
 *
 *     deno run -A bench/mam_page.ts [--messages 10000] [--reps 200]
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { clampInt } from "./_args.ts";
import { asMessageId, asThreadId, asUserId } from "../src/messenger/ids.ts";
import { roomArchiveTimelinePrefix } from "../src/store/keys.ts";
import { type ArchiveQuery, RoomArchives } from "../src/store/room_archive.ts";
import { WriteBatcher } from "../src/store/write_batcher.ts";
import { countCommits } from "../tests/store/_commit_counter.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: { messages: { type: "string" }, reps: { type: "string" } },
  strict: false,
});
const size = clampInt(flags.messages, 10_000, 100, 200_000);
const reps = clampInt(flags.reps, 200, 5, 10_000);

const USER = "alice@example.org";
const ROOM = asThreadId("900001");
const NICKS = ["Bob", "Carol", "Dave", "Erin", "Frank"];
const MINUTE = 60_000;

const dir = await Deno.makeTempDir({ prefix: "mg-bench-mam-" });
const kv = await Deno.openKv(join(dir, "bench.db"));
const counter = countCommits(kv);
const batcher = new WriteBatcher(kv);
const now = Date.now();
const archive = new RoomArchives(kv, batcher, { now: () => now }).forRoom(USER, ROOM);

try {
  console.log(`mam_page: a page of 50 from a ${size}-message room archive, local Deno KV`);
  const ids: string[] = [];
  const fillStart = performance.now();
  for (let i = 0; i < size; i++) {
    const id = `mid.$${i.toString(36).padStart(6, "0")}${"x".repeat(20)}`;
    ids.push(id);
    await archive.append({
      id: asMessageId(id),
      timestamp: now - (size - i) * MINUTE,
      actor: asUserId(String(100_000 + (i % NICKS.length))),
      nick: NICKS[i % NICKS.length],
      fromSelf: i % NICKS.length === 0,
      text: `Message number ${i}, about as long as a short chat message.`,
      attachments: [],
    });
  }
  await batcher.flush();
  const fillMs = performance.now() - fillStart;
  console.log(
    `  filled in ${fillMs.toFixed(0)} ms (${Math.round(size / (fillMs / 1000))} messages/s), ` +
      `${counter.commits} KV commits = ${(counter.commits / size).toFixed(3)} per message`,
  );

  const middle = ids[Math.floor(size / 2)];
  const cases: [string, () => Promise<unknown>][] = [
    ["baseline kv.get", () => kv.get(["user", USER, "room", ROOM, "mam", "i", middle])],
    ["first page", () => page({ max: 50 })],
    ["middle page (after)", () => page({ max: 50, after: middle })],
    ["last page (before '')", () => page({ max: 50, before: "" })],
    ["page back (before)", () => page({ max: 50, before: middle })],
    ["one author, middle", () => page({ max: 50, after: middle, withNick: "Carol" })],
    ["count only (max 0)", () => page({ max: 0 })],
  ];

  for (const [, run] of cases) for (let i = 0; i < 10; i++) await run(); // warm-up
  const times = cases.map((): number[] => []);
  for (let r = 0; r < reps; r++) {
    for (const [i, [, run]] of cases.entries()) {
      const start = performance.now();
      await run();
      times[i].push(performance.now() - start);
    }
  }

  const listStart = performance.now();
  let listed = 0;
  for await (const _ of kv.list({ prefix: roomArchiveTimelinePrefix(USER, ROOM) })) listed++;
  const listMs = performance.now() - listStart;

  const baseline = median(times[0]);
  for (const [i, [name]] of cases.entries()) {
    const ms = median(times[i]);
    const ratio = i === 0 ? "" : `  RATIO ${(ms / baseline).toFixed(1)}`;
    console.log(`  ${name.padEnd(24)} median ${ms.toFixed(3)} ms${ratio}`);
  }
  console.log(
    `  ${`listing all ${listed}`.padEnd(24)} once   ${listMs.toFixed(3)} ms  RATIO ${
      (listMs / baseline).toFixed(1)
    } (for context: what counting by listing would cost)`,
  );
  console.log(
    `  (${reps} repetitions, medians; ratios are to the baseline kv.get of the same run)`,
  );
} finally {
  await batcher.close();
  kv.close();
  await Deno.remove(dir, { recursive: true });
}

/** A query whose result is checked, so that a broken archive cannot look fast. */
async function page(query: ArchiveQuery): Promise<void> {
  const result = await archive.query(query);
  const expected = query.withNick ? Math.ceil(size / NICKS.length) : size;
  if (result.count !== expected) throw new Error(`count ${result.count}, expected ${expected}`);
  if (result.messages.length !== Math.min(query.max, 50)) {
    throw new Error(`a page of ${result.messages.length} messages`);
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
