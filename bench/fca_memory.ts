/**
 * Memory cost of logged-in fca accounts, as a difference and a ratio against a baseline of the
 * same run: one fca Worker per account, and several accounts per Worker (each on its own copy
 * of fca's code, `messenger.accounts_per_worker`).
 *
 * Every measurement runs in a fresh child process (started with `--v8-flags=--expose-gc`), so no
 * two share a heap: a loopback fake of Facebook (tests/messenger/fca/_fake_edge) and an
 * `FcaNetwork` pointed at it with the test-only endpoint override. Baseline: process RSS with the
 * fake up and the network built, no session, no Worker. Then N accounts log in with cookies and
 * listen until connected (HTTP and MQTT-over-WebSocket to the fake); after a settling pause and
 * a GC of the main isolate, RSS again (median of five samples). Per account = (RSS with N
 * sessions − baseline) / N; RATIO = RSS with N sessions / baseline.
 *
 * Prints a table for N = 1, 5 and 20 in each mode (one Worker per account, and the default number
 * of accounts per Worker), and the machine line bench/run.ts collects:
 *
 *     TARGET {"name":"fca RSS per account at 20 accounts (MiB)","value":…,"target":20,"met":…}
 *
 * measured at 20 accounts with the default number of accounts per Worker. Absolute numbers depend
 * on the machine, the Deno version and the allocator; nothing else is asserted. The fake runs in
 * the measured process, so its share (a socket and a few recorded requests per account) counts
 * too; it is small next to a Worker.
 *
 *     deno run -A bench/fca_memory.ts                          # N = 1, 5, 20; 1 and 10 per Worker
 *     deno run -A bench/fca_memory.ts --n 20 --per-worker 1,2,5,10,20
 *     deno run -A bench/fca_memory.ts --v8-flags=--max-semi-space-size=1   # for every child
 *
 * `--n` and `--per-worker` take comma-separated lists; `--n` is clamped to 1…20 (`deno task bench
 * --n 20000` passes its `--n` to every script).
 *
 * @module
 */

import { fileURLToPath as fromFileUrl } from "node:url";
import { parseArgs } from "node:util";
import { FcaNetwork } from "../src/messenger/fca/fca_network.ts";
import { DEFAULT_ACCOUNTS_PER_WORKER } from "../src/messenger/fca/worker_pool.ts";
import type { MessengerSession } from "../src/messenger/session.ts";
import { FakeFacebook } from "../tests/messenger/fca/_fake_edge/fake_facebook.ts";
import { TEST_TIMINGS, waitFor } from "../tests/messenger/fca/_harness.ts";

const MAX_N = 20;
const TARGET_N = 20;
const TARGET_MIB = 20;
const MiB = 1024 * 1024;
const RESULT = "@@fca_memory ";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string" },
    "per-worker": { type: "string" },
    "settle-ms": { type: "string" },
    "v8-flags": { type: "string" },
    part: { type: "string" },
  },
  strict: false,
});

function numbers(text: unknown, fallback: number[], min: number, max: number): number[] {
  if (typeof text !== "string") return fallback;
  const parsed = text.split(",").map((item) => Math.floor(Number(item)))
    .filter((value) => Number.isFinite(value))
    .map((value) => Math.max(min, Math.min(value, max)));
  return parsed.length === 0 ? fallback : [...new Set(parsed)];
}

const sizes = numbers(flags.n, [1, 5, TARGET_N], 1, MAX_N);
const modes = numbers(flags["per-worker"], [1, DEFAULT_ACCOUNTS_PER_WORKER], 1, 100);
const settleMs = Math.max(0, Math.min(Number(flags["settle-ms"] ?? 1500) || 0, 30_000));
const extraV8Flags = typeof flags["v8-flags"] === "string" ? flags["v8-flags"] : "";

/** What one child process measured. */
interface Measurement {
  n: number;
  perWorker: number;
  workers: number;
  baselineRss: number;
  loadedRss: number;
  /** Milliseconds from login to connected, per account. */
  loginMs: number[];
  /** RSS after every session was disconnected and the network closed. */
  afterCloseRss: number;
}

// ---- Helpers -----------------------------------------------------------------------------------

function mib(bytes: number): string {
  return (bytes / MiB).toFixed(1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Collects garbage in this isolate when `--expose-gc` is on (Workers' heaps are their own). */
function collect(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === "function") {
    gc();
    gc();
  }
}

/** RSS after a GC: the median of five samples 100 ms apart (RSS moves a little by itself). */
async function steadyRss(): Promise<number> {
  collect();
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    await sleep(100);
    samples.push(Deno.memoryUsage().rss);
  }
  samples.sort((a, b) => a - b);
  return samples[2];
}

// ---- One measurement (in a child process) ------------------------------------------------------

async function measure(n: number, perWorker: number): Promise<Measurement> {
  const fake = new FakeFacebook();
  await fake.start();
  const network = new FcaNetwork({
    timings: TEST_TIMINGS,
    accountsPerWorker: perWorker,
    testOnly: { endpointOverride: { origin: fake.origin } },
  });
  const sessions: MessengerSession[] = [];
  try {
    await sleep(300);
    const baselineRss = await steadyRss();
    const loginMs: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = String(100_001 + i);
      const cookies = fake.addAccount({ id, xs: `xs-${id}-secret` });
      const start = performance.now();
      const result = await network.login({ kind: "cookies", cookies }, { selfListen: false });
      if (result.kind !== "logged_in") throw new Error(`Account ${id} asked for a 2FA code`);
      sessions.push(result.session);
      await result.session.listen();
      await waitFor(`account ${id} to connect`, () => result.session.state.status === "connected");
      loginMs.push(performance.now() - start);
    }
    await sleep(settleMs);
    const loadedRss = await steadyRss();
    for (let i = 0; i < n; i++) {
      if (fake.liveConnections(String(100_001 + i)).length !== 1) {
        throw new Error(`Account ${100_001 + i} does not have exactly one MQTT connection`);
      }
    }
    const workers = network.workers;
    await Promise.all(sessions.map((session) => session.disconnect()));
    sessions.length = 0;
    await network.close();
    await sleep(500);
    const afterCloseRss = await steadyRss();
    return { n, perWorker, workers, baselineRss, loadedRss, loginMs, afterCloseRss };
  } finally {
    await Promise.all(sessions.map((session) => session.disconnect()));
    await network.close();
    await fake.close();
  }
}

// ---- The parent: runs the children and prints the table ----------------------------------------

async function runChild(n: number, perWorker: number): Promise<Measurement> {
  const script = fromFileUrl(import.meta.url);
  const root = fromFileUrl(new URL("../", import.meta.url));
  const config = fromFileUrl(new URL("../deno.json", import.meta.url));
  const v8 = ["--expose-gc", ...(extraV8Flags === "" ? [] : [extraV8Flags])].join(",");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--config",
      config,
      `--v8-flags=${v8}`,
      script,
      "--part",
      `${n}x${perWorker}`,
      "--settle-ms",
      String(settleMs),
    ],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(180_000),
  });
  const { code, stdout } = await child.output();
  const lines = new TextDecoder().decode(stdout).split("\n");
  const line = lines.find((l) => l.startsWith(RESULT));
  for (const other of lines) if (other !== "" && other !== line) console.log(other);
  if (code !== 0 || line === undefined) {
    throw new Error(`the measurement of ${n} accounts, ${perWorker} per Worker failed (${code})`);
  }
  return JSON.parse(line.slice(RESULT.length)) as Measurement;
}

function perAccount(m: Measurement): number {
  return (m.loadedRss - m.baselineRss) / m.n;
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

function row(m: Measurement): string {
  const login = median(m.loginMs);
  return [
    String(m.perWorker).padStart(10),
    String(m.n).padStart(8),
    String(m.workers).padStart(7),
    mib(m.baselineRss).padStart(9),
    mib(m.loadedRss).padStart(9),
    mib(perAccount(m)).padStart(11),
    (m.loadedRss / m.baselineRss).toFixed(2).padStart(6),
    `${login.toFixed(login < 10 ? 1 : 0)} ms`.padStart(10),
    mib(m.afterCloseRss).padStart(11),
  ].join(" ");
}

async function parent(): Promise<void> {
  const clamped = typeof flags.n === "string" ? ` (--n ${flags.n}, clamped to 1…${MAX_N})` : "";
  console.log(
    `fca_memory: RSS per logged-in fca account vs a no-Worker baseline of the same run` +
      `${clamped}; default ${DEFAULT_ACCOUNTS_PER_WORKER} accounts per Worker` +
      (extraV8Flags === "" ? "" : `; --v8-flags=${extraV8Flags}`),
  );
  const started = performance.now();
  const results: Measurement[] = [];
  const plan = modes.flatMap((perWorker) => sizes.map((n) => ({ n, perWorker })));
  if (!plan.some((p) => p.n === TARGET_N && p.perWorker === DEFAULT_ACCOUNTS_PER_WORKER)) {
    plan.push({ n: TARGET_N, perWorker: DEFAULT_ACCOUNTS_PER_WORKER });
  }
  console.log(
    "  per Worker accounts Workers  baseline  sessions per account  RATIO login (med) after close",
  );
  console.log(
    "                                    MiB       MiB         MiB                           MiB",
  );
  for (const { n, perWorker } of plan) {
    const result = await runChild(n, perWorker);
    results.push(result);
    console.log(`  ${row(result)}`);
  }
  const target = results.find((m) =>
    m.n === TARGET_N && m.perWorker === DEFAULT_ACCOUNTS_PER_WORKER
  )!;
  const value = Number(mib(perAccount(target)));
  console.log(
    `  RATIO fca RSS with ${TARGET_N} sessions / baseline = ${
      (target.loadedRss / target.baselineRss).toFixed(2)
    } (${DEFAULT_ACCOUNTS_PER_WORKER} per Worker)`,
  );
  console.log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(
    "TARGET " + JSON.stringify({
      name: `fca RSS per account at ${TARGET_N} accounts (MiB)`,
      value,
      target: TARGET_MIB,
      met: value <= TARGET_MIB,
    }),
  );
}

if (import.meta.main) {
  try {
    if (typeof flags.part === "string") {
      const [n, perWorker] = flags.part.split("x").map(Number);
      if (!(n >= 1 && perWorker >= 1)) throw new Error(`bad --part ${flags.part}`);
      console.log(RESULT + JSON.stringify(await measure(n, perWorker)));
    } else {
      await parent();
    }
  } catch (error) {
    console.error(`fca_memory: ${error instanceof Error ? error.message : error}`);
    Deno.exit(1);
  }
  // Workers or timers left behind by a failure must not keep the process alive.
  Deno.exit(0);
}
