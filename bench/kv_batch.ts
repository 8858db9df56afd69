/**
 * Deno KV: N sequential `kv.set` calls against the same N writes through {@link WriteBatcher}
 * (then `flush()`), each on a fresh local database in a temp folder, a few repetitions.
 *
 * Prints the median time and ops/s of each way and the RATIO batched/sequential: the number to
 * read, since both are measured in the same run on the same machine (absolute times vary a lot
 * between machines and disks). With `--max-ratio R` it exits 1 when the ratio is above R.
 *
 *     deno run -A bench/kv_batch.ts [--n 5000] [--reps 3] [--max-ratio 0.5]
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { WriteBatcher } from "../src/store/write_batcher.ts";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string", default: "5000" },
    reps: { type: "string", default: "3" },
    "max-ratio": { type: "string" },
  },
});
const n = positiveInt(flags.n, "--n");
const reps = positiveInt(flags.reps, "--reps");
const maxRatio = flags["max-ratio"] === undefined ? undefined : Number(flags["max-ratio"]);
if (maxRatio !== undefined && !(maxRatio > 0)) fail(`--max-ratio must be a positive number`);

function positiveInt(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    fail(`${flag} must be a positive integer, not ${text}`);
  }
  return value;
}

function fail(message: string): never {
  console.error(`kv_batch: ${message}`);
  Deno.exit(2);
}

/** What the gateway batches most: a Messenger message id mapped to an XMPP stanza id. */
function value(i: number) {
  return { xmppId: `xmpp-${i.toString(36)}-${"x".repeat(16)}`, at: 1_700_000_000_000 + i };
}

function key(i: number): Deno.KvKey {
  return ["user", "alice@example.org", "msgmap", `mid.$${i.toString(36).padStart(8, "0")}`];
}

/** Opens a fresh database, times `write(kv, count)` on it, checks every write landed, cleans up. */
async function timed(
  write: (kv: Deno.Kv, count: number) => Promise<void>,
  count = n,
): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "mg-bench-" });
  const kv = await Deno.openKv(join(dir, "bench.db"));
  try {
    const start = performance.now();
    await write(kv, count);
    const ms = performance.now() - start;
    let landed = 0;
    for await (const _ of kv.list({ prefix: ["user"] })) landed++;
    if (landed !== count) throw new Error(`only ${landed} of ${count} writes landed`);
    return ms;
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

async function sequential(kv: Deno.Kv, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await kv.set(key(i), value(i));
}

async function batched(kv: Deno.Kv, count: number): Promise<void> {
  const batcher = new WriteBatcher(kv);
  for (let i = 0; i < count; i++) batcher.set(key(i), value(i));
  await batcher.close();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const fmtMs = (ms: number) => `${ms.toFixed(1)} ms`;
const fmtOps = (ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString("en-US")} ops/s`;

console.log(`kv_batch: ${n} writes, ${reps} repetitions, local Deno KV in a temp folder`);
// Warm-up (JIT, SQLite, the file system) on a small run of each, not counted.
await timed(sequential, Math.min(n, 500));
await timed(batched, Math.min(n, 500));

const seqMs: number[] = [];
const batMs: number[] = [];
for (let r = 0; r < reps; r++) {
  // Alternate which goes first so neither always gets the warmer disk cache.
  const order = r % 2 === 0 ? ["seq", "bat"] : ["bat", "seq"];
  for (const which of order) {
    if (which === "seq") seqMs.push(await timed(sequential));
    else batMs.push(await timed(batched));
  }
  const i = seqMs.length - 1;
  console.log(
    `  rep ${r + 1}: sequential ${fmtMs(seqMs[i])}, batched ${fmtMs(batMs[i])}, ` +
      `ratio ${(batMs[i] / seqMs[i]).toFixed(4)}`,
  );
}

const seq = median(seqMs);
const bat = median(batMs);
const ratio = bat / seq;
console.log(`  sequential kv.set  median ${fmtMs(seq)}  ${fmtOps(seq)}`);
console.log(`  WriteBatcher+flush median ${fmtMs(bat)}  ${fmtOps(bat)}`);
console.log(
  `  RATIO batched/sequential = ${ratio.toFixed(4)} (batching is ${
    (1 / ratio).toFixed(1)
  }x faster)`,
);
if (maxRatio !== undefined && ratio > maxRatio) {
  console.error(`kv_batch: ratio ${ratio.toFixed(4)} is above --max-ratio ${maxRatio}`);
  Deno.exit(1);
}
