/**
 * Instruments a gateway process for the benchmarks, loaded with `deno run --preload` before
 * `main.ts` (nothing in src/ knows about it). It counts what a bridged message costs besides CPU —
 * KV reads and commits, timers, stanza serialisations, synchronous writes to stdout/stderr — and
 * can take a CPU profile of a measured phase, through V8's inspector in the same process.
 *
 * Driven by signals from the bench, so it needs no port and adds no timer of its own:
 *
 * - `SIGUSR1`: zero the counters and, when `MG_PROBE_PROFILE` names a file prefix, start the CPU
 *   profiler (with `MG_PROBE_PROFILE_START=1` it also runs from the start of the process);
 * - `SIGUSR2`: print one line `PROBE {json}` with the counters and the memory use (after a full
 *   garbage collection when V8 exposes `gc`) on stderr and, when profiling, stop and write the
 *   profile to `<prefix>-<n>.cpuprofile` (Chrome DevTools' format).
 *
 * @module
 */

import { EventEmitter } from "node:events";
import { Session } from "node:inspector";
import { xml } from "@xmpp/component";

/** What the probe counts; printed as JSON. */
export interface ProbeCounts {
  kvGets: number;
  kvGetManys: number;
  kvLists: number;
  /** Atomic commits plus single `set`/`delete` calls, each of which is its own commit. */
  kvCommits: number;
  kvMutations: number;
  timeouts: number;
  intervals: number;
  serialisations: number;
  stdioWrites: number;
  stdioBytes: number;
}

const counts: ProbeCounts = {
  kvGets: 0,
  kvGetManys: 0,
  kvLists: 0,
  kvCommits: 0,
  kvMutations: 0,
  timeouts: 0,
  intervals: 0,
  serialisations: 0,
  stdioWrites: 0,
  stdioBytes: 0,
};

// --- KV: every database the program opens (`Deno.openKv` itself is a getter, the class is not).
const kvPrototype = Deno.Kv.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
function countCalls(method: string, count: () => void): void {
  const original = kvPrototype[method];
  kvPrototype[method] = function (this: Deno.Kv, ...args: unknown[]) {
    count();
    return original.apply(this, args);
  };
}
countCalls("get", () => counts.kvGets++);
countCalls("getMany", () => counts.kvGetManys++);
countCalls("list", () => counts.kvLists++);
// A single set or delete is its own commit.
countCalls("set", () => (counts.kvCommits++, counts.kvMutations++));
countCalls("delete", () => (counts.kvCommits++, counts.kvMutations++));
const atomic = kvPrototype.atomic;
kvPrototype.atomic = function (this: Deno.Kv) {
  const op = atomic.call(this) as Deno.AtomicOperation;
  let mutations = 0;
  for (const method of ["set", "delete", "sum", "min", "max", "enqueue"] as const) {
    const original = op[method].bind(op) as (...args: unknown[]) => Deno.AtomicOperation;
    (op as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      mutations++;
      return original(...args);
    };
  }
  const commit = op.commit.bind(op);
  op.commit = () => {
    counts.kvCommits++;
    counts.kvMutations += mutations;
    return commit();
  };
  return op;
};

// --- Timers (the web ones; `setImmediate` from node:timers cannot be wrapped, a module namespace
// is read-only, so it goes uncounted).
const setTimeoutOriginal = globalThis.setTimeout;
globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
  counts.timeouts++;
  return setTimeoutOriginal(...args);
}) as typeof setTimeout;
const setIntervalOriginal = globalThis.setInterval;
globalThis.setInterval = ((...args: Parameters<typeof setInterval>) => {
  counts.intervals++;
  return setIntervalOriginal(...args);
}) as typeof setInterval;

// --- Stanza serialisations: ltx's Element.toString, shared by everything xmpp.js builds. A
// message whose body came in earlier (an echo) also gives the time it spent inside the gateway,
// from the connection's "stanza" event to its answer's serialisation.
interface ProbeElement {
  name: string;
  attrs: Record<string, string | undefined>;
  getChildText(name: string): string | null;
  toString(): string;
}
/** Incoming iqs by id, and how long each took to its answer (ms). */
const iqArrivals = new Map<string, number>();
const iqInsideMs: number[] = [];
const arrivals = new Map<string, number>();
const insideMs: number[] = [];
const elementPrototype = Object.getPrototypeOf(xml("probe")) as ProbeElement;
const toString = elementPrototype.toString;
elementPrototype.toString = function (this: ProbeElement) {
  counts.serialisations++;
  const answered =
    this.name === "iq" && (this.attrs.type === "result" || this.attrs.type === "error")
      ? iqArrivals.get(this.attrs.id ?? "")
      : undefined;
  if (answered !== undefined) {
    iqArrivals.delete(this.attrs.id!);
    iqInsideMs.push(performance.now() - answered);
  }
  const body = this.name === "message" ? this.getChildText("body") : null;
  const arrived = body === null ? undefined : arrivals.get(body);
  if (arrived !== undefined) {
    arrivals.delete(body!);
    insideMs.push(performance.now() - arrived);
  }
  return toString.call(this);
};
const emit = EventEmitter.prototype.emit;
/** Only bodies matching this are timed (the bench's one-at-a-time messages), when set. */
const traced = new RegExp(Deno.env.get("MG_PROBE_TRACE") ?? "");
EventEmitter.prototype.emit = function (
  this: EventEmitter,
  event: string | symbol,
  ...args: unknown[]
) {
  if (event === "stanza") {
    const stanza = args[0] as ProbeElement | undefined;
    const body = stanza?.name === "message" ? stanza.getChildText("body") : null;
    if (typeof body === "string" && traced.test(body) && arrivals.size < 100_000) {
      arrivals.set(body, performance.now());
    }
    const type = stanza?.attrs.type;
    if (stanza?.name === "iq" && (type === "get" || type === "set") && iqArrivals.size < 10_000) {
      iqArrivals.set(stanza.attrs.id ?? "", performance.now());
    }
  }
  return emit.call(this, event, ...args);
};

/** The real stderr, for the probe's own reports (which are not the program's writes). */
const writeStderr = Deno.stderr.writeSync.bind(Deno.stderr);

// --- Synchronous writes to stdout and stderr (the log sink writes with writeSync).
for (const stream of [Deno.stdout, Deno.stderr]) {
  const writeSync = stream.writeSync.bind(stream);
  stream.writeSync = (bytes: Uint8Array) => {
    counts.stdioWrites++;
    counts.stdioBytes += bytes.length;
    return writeSync(bytes);
  };
}

// --- Control by signals.
const profilePrefix = Deno.env.get("MG_PROBE_PROFILE");
let session: Session | undefined;
let profiles = 0;

function post<T>(method: string, params: object = {}): Promise<T> {
  return new Promise((resolve, reject) =>
    session!.post(method, params, (error: Error | null, result: unknown) => {
      if (error) reject(error);
      else resolve(result as T);
    })
  );
}

async function startProfile(): Promise<void> {
  session ??= new Session();
  session.connect();
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 200 });
  await post("Profiler.start");
}

// `MG_PROBE_PROFILE_START=1`: the first profile starts now, before main.ts (startup costs).
if (profilePrefix && Deno.env.get("MG_PROBE_PROFILE_START") === "1") await startProfile();

Deno.addSignalListener("SIGUSR1", async () => {
  for (const key of Object.keys(counts) as (keyof ProbeCounts)[]) counts[key] = 0;
  arrivals.clear();
  insideMs.length = 0;
  iqArrivals.clear();
  iqInsideMs.length = 0;
  if (profilePrefix) {
    if (session) await post("Profiler.stop").catch(() => {});
    await startProfile();
  }
  report({ started: true });
});

Deno.addSignalListener("SIGUSR2", async () => {
  const snapshot = { ...counts };
  const percentiles = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (p: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    return { count: sorted.length, p50: at(0.5), p99: at(0.99) };
  };
  let profile: string | undefined;
  if (profilePrefix && session) {
    const result = await post<{ profile: unknown }>("Profiler.stop");
    session.disconnect();
    session = undefined;
    profile = `${profilePrefix}-${++profiles}.cpuprofile`;
    await Deno.writeTextFile(profile, JSON.stringify(result.profile));
  }
  // With --v8-flags=--expose-gc, memory is read after a full collection (steadier figures).
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed } = Deno.memoryUsage();
  report({
    counts: snapshot,
    memory: { rss, heapUsed },
    inside: percentiles(insideMs),
    iqInside: percentiles(iqInsideMs),
    ...(profile ? { profile } : {}),
  });
});

function report(value: object): void {
  const line = new TextEncoder().encode(`PROBE ${JSON.stringify(value)}\n`);
  let written = 0;
  while (written < line.length) written += writeStderr(line.subarray(written));
}
