/**
 * What the message benchmarks share: the gateway process with the probe preloaded
 * (bench/_gateway_probe.ts), reading the probe, timing round trips one at a time and pipelined,
 * and percentiles.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { TestClient } from "../tests/e2e/_harness/client.ts";
// Types only: importing the probe's code would install it in this process.
import type { ProbeCounts } from "./_gateway_probe.ts";
import { xml } from "../tests/e2e/_harness/client.ts";
import {
  type GatewayOptions,
  type GatewayProcess,
  startGateway,
} from "../tests/e2e/_harness/gateway.ts";
import type { ProsodyServer } from "../tests/e2e/_harness/prosody.ts";

export type { ProbeCounts };

const PROBE = fileURLToPath(new URL("./_gateway_probe.ts", import.meta.url));

/** What the probe reports at the end of a phase. */
export interface ProbeReport {
  counts: ProbeCounts;
  /** How long echoed messages spent inside the gateway (arrival to answer, ms). */
  inside: { count: number; p50: number; p99: number };
  /** How long iqs (get and set) took from arrival to their answer's serialisation (ms). */
  iqInside: { count: number; p50: number; p99: number };
  /** Bytes, after a full collection when the gateway runs with `--v8-flags=--expose-gc`. */
  memory: { rss: number; heapUsed: number };
  /** The CPU profile's file, when profiling. */
  profile?: string;
}

/** A gateway process whose probe the bench reads. */
export interface ProbedGateway {
  process: GatewayProcess;
  /** Zeroes the counters (and starts the CPU profile when profiling). */
  start(): Promise<void>;
  /**
   * The counters since {@link start}, how long echoed messages spent inside the gateway (from
   * arrival to the answer's serialisation, ms), and the profile file when profiling.
   */
  stop(): Promise<ProbeReport>;
}

/** Starts the gateway with the probe preloaded; `profilePrefix` turns CPU profiles on. */
export async function startProbedGateway(
  server: ProsodyServer,
  options: GatewayOptions & { profilePrefix?: string },
): Promise<ProbedGateway> {
  const { profilePrefix, ...gatewayOptions } = options;
  const messages = gatewayOptions.config?.messages;
  const process = await startGateway(server, {
    ...gatewayOptions,
    // The bench measures the bridged path: its pipelined bursts of hundreds of messages from one
    // user are what the per-user rate limit refuses by design (bench/fairness.ts measures that).
    config: {
      ...gatewayOptions.config,
      messages: { ...(typeof messages === "object" ? messages : {}), rate_limit: 0 },
    },
    denoArgs: ["--preload", PROBE, ...(gatewayOptions.denoArgs ?? [])],
    env: { ...gatewayOptions.env, ...(profilePrefix ? { MG_PROBE_PROFILE: profilePrefix } : {}) },
  });
  const signal = async (name: Deno.Signal) => {
    const mark = process.mark();
    Deno.kill(process.pid, name);
    const line = await process.waitForLog(/^PROBE /, 30_000, mark);
    return JSON.parse(line.slice("PROBE ".length));
  };
  return {
    process,
    start: async () => void await signal("SIGUSR1"),
    stop: () => signal("SIGUSR2"),
  };
}

/** CPU time (user + system) a process has used so far, in ms, from /proc (Linux). */
export async function cpuMs(pid: number): Promise<number> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the command name (which may hold spaces) in parentheses; utime and stime are the
  // 14th and 15th fields, in clock ticks (100 per second on Linux).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Sums counters of several phases. */
export function addCounts(a: ProbeCounts | undefined, b: ProbeCounts): ProbeCounts {
  if (!a) return { ...b };
  const sum = { ...a };
  for (const key of Object.keys(b) as (keyof ProbeCounts)[]) sum[key] += b[key];
  return sum;
}

/** Round-trip times of messages sent one at a time, and the rate of a pipelined burst. */
export interface RoundTrips {
  latencies: number[];
  perSecond: number;
}

/**
 * The most messages sent in one pipelined burst: below a conversation's allowance of waiting
 * messages (256, src/gateway/conversation_queue.ts), beyond which the gateway refuses further ones
 * by design (a user writing faster than Messenger accepts hears so).
 */
export const PIPELINED = 200;

/**
 * Sends `n` chat messages to `to` one at a time (each waits for its echo), then `n` more in
 * pipelined bursts of at most {@link PIPELINED} (each burst waits for its echoes); the echo is the
 * message with the same body coming back from `to`'s bare JID. An error bounced instead (it
 * carries the body too) fails the measurement.
 */
export async function roundTrips(
  client: TestClient,
  to: string,
  n: number,
  tag: string,
): Promise<RoundTrips> {
  const from = to.split("/")[0];
  const echo = async (body: string) => {
    const reply = await client.waitFor(
      (s) =>
        s.is("message") && s.attrs.from?.split("/")[0] === from && s.getChildText("body") === body,
      60_000,
      `echo of ${body}`,
    );
    if (reply.attrs.type === "error") throw new Error(`Bounced instead of echoed: ${reply}`);
  };
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const body = `${tag}-seq-${i}`;
    const start = performance.now();
    const echoed = echo(body);
    await client.send(xml("message", { type: "chat", to, id: body }, xml("body", {}, body)));
    await echoed;
    latencies.push(performance.now() - start);
  }
  const start = performance.now();
  for (let first = 0; first < n; first += PIPELINED) {
    const waits: Promise<unknown>[] = [];
    for (let i = first; i < Math.min(n, first + PIPELINED); i++) {
      const body = `${tag}-pipe-${i}`;
      waits.push(echo(body));
      await client.send(xml("message", { type: "chat", to, id: body }, xml("body", {}, body)));
    }
    await Promise.all(waits);
  }
  return { latencies, perSecond: n / ((performance.now() - start) / 1000) };
}

/** The `p`-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** The median of `values`. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
