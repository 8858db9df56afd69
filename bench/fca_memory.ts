/**
 * Memory cost of the real Messenger adapter's design, one Deno Worker (with its own copy of
 * fca-unofficial) per logged-in account, as a ratio against a baseline of the same run.
 *
 * Two measurements, each in a fresh child process (started with `--v8-flags=--expose-gc`), so
 * neither inherits the other's heap:
 *
 * - **fca**: a loopback fake of Facebook (tests/messenger/fca/_fake_edge) and an `FcaNetwork`
 *   pointed at it with the test-only endpoint override. Baseline: process RSS with the fake up
 *   and the network built, no session. Then N accounts log in with cookies and listen until
 *   connected (each in its own Worker, talking HTTP and MQTT-over-WebSocket to the fake); after a
 *   settling pause and a GC, RSS again.
 * - **simulated**: the in-memory `SimulatedNetwork` with a world of N accounts, measured the same
 *   way, for comparison (no Worker, no fca).
 *
 * Prints RSS before and after, MiB per account and the RATIO (RSS with N sessions / baseline).
 * Absolute numbers depend on the machine, the Deno version and the allocator: nothing is
 * asserted about them. The fake Facebook runs in the measured process, so its share (a socket
 * and a few recorded requests per account) is counted too; it is small next to a Worker.
 *
 *     deno run -A bench/fca_memory.ts [--n 5] [--settle-ms 1500]
 *
 * `--n` is clamped to 1…20 (`deno task bench --n 20000` passes its `--n` to every script).
 *
 * @module
 */

import { fileURLToPath as fromFileUrl } from "node:url";
import { parseArgs } from "node:util";
import { FcaNetwork } from "../src/messenger/fca/fca_network.ts";
import { SimulatedNetwork } from "../src/messenger/simulated/mod.ts";
import { parseWorld } from "../src/messenger/simulated/mod.ts";
import type { MessengerSession } from "../src/messenger/session.ts";
import { FakeFacebook } from "../tests/messenger/fca/_fake_edge/fake_facebook.ts";
import { TEST_TIMINGS, waitFor } from "../tests/messenger/fca/_harness.ts";

const MAX_N = 20;
const MiB = 1024 * 1024;
const RESULT = "@@fca_memory ";

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string" },
    "settle-ms": { type: "string" },
    part: { type: "string" },
  },
  strict: false,
});
const requested = Number(flags.n ?? 5);
const n = Math.max(1, Math.min(Number.isFinite(requested) ? Math.floor(requested) : 5, MAX_N));
const settleMs = Math.max(0, Math.min(Number(flags["settle-ms"] ?? 1500) || 0, 30_000));

/** What one child process measured. */
interface Measurement {
  part: "fca" | "simulated";
  n: number;
  baselineRss: number;
  loadedRss: number;
  /** RSS after each login (fca only), to see the marginal cost of each Worker. */
  steps: number[];
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

async function connected(session: MessengerSession, what: string): Promise<void> {
  await session.listen();
  await waitFor(what, () => session.state.status === "connected", 20_000);
}

// ---- The two measurements (run in child processes) ---------------------------------------------

async function measureFca(): Promise<Measurement> {
  const fake = new FakeFacebook();
  await fake.start();
  const network = new FcaNetwork({
    timings: TEST_TIMINGS,
    testOnly: { endpointOverride: { origin: fake.origin } },
  });
  const sessions: MessengerSession[] = [];
  try {
    await sleep(300);
    const baselineRss = await steadyRss();
    const steps: number[] = [];
    const loginMs: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = String(100_001 + i);
      const cookies = fake.addAccount({ id, xs: `xs-${id}-secret` });
      const start = performance.now();
      const result = await network.login({ kind: "cookies", cookies }, { selfListen: false });
      if (result.kind !== "logged_in") throw new Error(`Account ${id} asked for a 2FA code`);
      sessions.push(result.session);
      await connected(result.session, `account ${id} to connect`);
      loginMs.push(performance.now() - start);
      steps.push(Deno.memoryUsage().rss);
    }
    await sleep(settleMs);
    const loadedRss = await steadyRss();
    if (fake.connections.filter((c) => c.socket.readyState === WebSocket.OPEN).length < n) {
      throw new Error("Not every account kept its MQTT connection to the fake");
    }
    await Promise.all(sessions.map((session) => session.disconnect()));
    sessions.length = 0;
    await network.close();
    await sleep(500);
    const afterCloseRss = await steadyRss();
    return { part: "fca", n, baselineRss, loadedRss, steps, loginMs, afterCloseRss };
  } finally {
    await Promise.all(sessions.map((session) => session.disconnect()));
    await network.close();
    await fake.close();
  }
}

function simulatedWorld(): string {
  let text = "";
  for (let i = 0; i < n; i++) {
    const id = 100_001 + i;
    text += `[[account]]
email = "user${i}@example.com"
password = "password-${i}"
cookies = "c_user=${id}; xs=xs-${id}"
user_id = "${id}"
name = "User ${i}"

  [[account.friend]]
  id = "${200_001 + i}"
  name = "Echo ${i}"
  echo = true

`;
  }
  return text;
}

async function measureSimulated(): Promise<Measurement> {
  const network = new SimulatedNetwork(parseWorld(simulatedWorld(), "<bench>"));
  const sessions: MessengerSession[] = [];
  try {
    await sleep(300);
    const baselineRss = await steadyRss();
    const steps: number[] = [];
    const loginMs: number[] = [];
    for (let i = 0; i < n; i++) {
      const id = String(100_001 + i);
      const start = performance.now();
      const result = await network.login({
        kind: "cookies",
        cookies: [
          { key: "c_user", value: id, domain: "facebook.com" },
          { key: "xs", value: `xs-${id}`, domain: "facebook.com" },
        ],
      });
      if (result.kind !== "logged_in") throw new Error(`Account ${id} asked for a 2FA code`);
      sessions.push(result.session);
      await connected(result.session, `simulated account ${id} to connect`);
      loginMs.push(performance.now() - start);
      steps.push(Deno.memoryUsage().rss);
    }
    await sleep(settleMs);
    const loadedRss = await steadyRss();
    await Promise.all(sessions.map((session) => session.disconnect()));
    sessions.length = 0;
    await network.close();
    await sleep(200);
    const afterCloseRss = await steadyRss();
    return { part: "simulated", n, baselineRss, loadedRss, steps, loginMs, afterCloseRss };
  } finally {
    await Promise.all(sessions.map((session) => session.disconnect()));
    await network.close();
  }
}

// ---- The parent: runs both children and prints the comparison ----------------------------------

async function runPart(part: "fca" | "simulated"): Promise<Measurement> {
  const script = fromFileUrl(import.meta.url);
  const root = fromFileUrl(new URL("../", import.meta.url));
  const config = fromFileUrl(new URL("../deno.json", import.meta.url));
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      "--config",
      config,
      "--v8-flags=--expose-gc",
      script,
      "--part",
      part,
      "--n",
      String(n),
      "--settle-ms",
      String(settleMs),
    ],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    signal: AbortSignal.timeout(120_000),
  });
  const { code, stdout } = await child.output();
  const lines = new TextDecoder().decode(stdout).split("\n");
  const line = lines.find((l) => l.startsWith(RESULT));
  for (const other of lines) if (other !== "" && other !== line) console.log(other);
  if (code !== 0 || line === undefined) {
    throw new Error(`the ${part} measurement failed (exit ${code})`);
  }
  return JSON.parse(line.slice(RESULT.length)) as Measurement;
}

function report(m: Measurement, label: string, baselineWhat: string): number {
  const perAccount = (m.loadedRss - m.baselineRss) / m.n;
  const median = [...m.loginMs].sort((a, b) => a - b)[Math.floor(m.loginMs.length / 2)];
  console.log(`  [${label}] baseline RSS (${baselineWhat}): ${mib(m.baselineRss)} MiB`);
  if (m.part === "fca") {
    let previous = m.baselineRss;
    const deltas = m.steps.map((rss) => {
      const delta = `+${mib(rss - previous)}`;
      previous = rss;
      return delta;
    });
    console.log(`  [${label}] RSS growth per login (MiB, before GC): ${deltas.join(" ")}`);
  }
  console.log(`  [${label}] login to connected, median: ${median.toFixed(median < 10 ? 1 : 0)} ms`);
  console.log(`  [${label}] RSS with ${m.n} sessions connected: ${mib(m.loadedRss)} MiB`);
  console.log(`  [${label}] per account: ${mib(perAccount)} MiB`);
  console.log(`  [${label}] RSS after disconnect + close: ${mib(m.afterCloseRss)} MiB`);
  return perAccount;
}

async function parent(): Promise<void> {
  const clamped = requested !== n ? ` (--n ${flags.n} clamped to 1…${MAX_N})` : "";
  console.log(
    `fca_memory: RSS of one fca Worker per Messenger account vs a baseline of the same run, ` +
      `N = ${n}${clamped}`,
  );
  const started = performance.now();
  const fca = await runPart("fca");
  const simulated = await runPart("simulated");
  const fcaPer = report(fca, "fca", "fake Facebook up, FcaNetwork built, no session");
  const simPer = report(simulated, "simulated", `SimulatedNetwork, world of ${n}, no session`);
  const fcaRatio = fca.loadedRss / fca.baselineRss;
  const simRatio = simulated.loadedRss / simulated.baselineRss;
  console.log(`  RATIO fca RSS with ${n} sessions / baseline = ${fcaRatio.toFixed(2)}`);
  console.log(`  RATIO simulated RSS with ${n} sessions / baseline = ${simRatio.toFixed(2)}`);
  console.log(
    `  MiB per account: fca ${mib(fcaPer)}, simulated ${mib(simPer)}` +
      ` (fca per account / fca baseline = ${(fcaPer / fca.baselineRss).toFixed(2)})`,
  );
  console.log(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

if (import.meta.main) {
  try {
    if (flags.part === "fca" || flags.part === "simulated") {
      const result = flags.part === "fca" ? await measureFca() : await measureSimulated();
      console.log(RESULT + JSON.stringify(result));
    } else if (flags.part !== undefined) {
      throw new Error(`unknown --part ${flags.part}`);
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
