/**
 * Reads a V8 CPU profile (`.cpuprofile`, as bench/_gateway_probe.ts writes it) and summarises
 * where a process spent a measured phase: how much of it was idle, and the functions with the
 * most self time and the most inclusive time (their callees included) as shares of the busy
 * time. What bench/message_path.ts prints with `--profile`, and what bench/README.md quotes.
 *
 *     deno run -A bench/_cpu_profile.ts file.cpuprofile [--top 15]
 *
 * @module
 */

import { parseArgs } from "node:util";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

/** Chrome DevTools' CPU profile format (what V8's inspector returns). */
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One line of a summary. */
export interface Cost {
  name: string;
  ms: number;
  /** Share of the busy (non-idle) time, 0–1. */
  share: number;
}

/** Where a profiled phase went. */
export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  busyMs: number;
  self: Cost[];
  inclusive: Cost[];
  /** Self time by where the code lives (a src/ folder, an npm package, Deno's runtime). */
  areas: Cost[];
}

/** Where a frame's code lives, coarsely: `src/xmpp`, `npm:ltx`, `deno:node`, `native`, … */
export function areaOf(frame: CallFrame): string {
  if (!frame.url) return META.has(frame.functionName) ? frame.functionName : "native (ops)";
  const url = frame.url;
  const npm = url.indexOf("/node_modules/");
  if (npm >= 0) {
    const rest = url.slice(npm + "/node_modules/".length).replace(
      /^\.deno\/[^/]+\/node_modules\//,
      "",
    );
    const parts = rest.split("/");
    return `npm:${parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  const src = url.match(/\/(src\/[^/]+(?:\/simulated)?)\//);
  if (src) return src[1];
  const ext = url.match(/^ext:(deno_node|core|deno_kv|deno_web|[^/]+)\//);
  if (ext) return ext[1] === "deno_node" ? "deno: node compat" : `deno: ${ext[1]}`;
  if (url.includes("/bench/")) return "bench probe";
  return "other";
}

const IDLE = "(idle)";
const META = new Set(["(root)", "(program)", "(garbage collector)", IDLE]);

/** A function's name and place, short: `name src/x.ts:12`, `name npm:ltx/lib/Element.js:40`. */
export function frameName(frame: CallFrame): string {
  const name = frame.functionName || "(anonymous)";
  if (!frame.url) return name;
  let place = frame.url.replace(/^file:\/\//, "");
  const src = place.search(/\/(src|bench|tests)\//);
  const npm = place.indexOf("/node_modules/");
  if (npm >= 0) {
    place = "npm:" +
      place.slice(npm + "/node_modules/".length).replace(/^\.deno\/[^/]+\/node_modules\//, "");
  } else if (src >= 0) place = place.slice(src + 1);
  return `${name} ${place}:${frame.lineNumber + 1}`;
}

/** Self and inclusive time per function (by name and place), largest first. */
export function summarise(profile: CpuProfile, top = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const selfMs = new Map<string, number>();
  const areaMs = new Map<string, number>();
  const inclusiveMs = new Map<string, number>();
  let totalMs = 0;
  let idleMs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time before sample i: the time the previous sample stood for.
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    totalMs += ms;
    const leaf = byId.get(profile.samples[i]);
    if (!leaf) continue;
    const leafName = frameName(leaf.callFrame);
    if (leaf.callFrame.functionName === IDLE) {
      idleMs += ms;
      continue;
    }
    selfMs.set(leafName, (selfMs.get(leafName) ?? 0) + ms);
    const area = areaOf(leaf.callFrame);
    areaMs.set(area, (areaMs.get(area) ?? 0) + ms);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const node = byId.get(id)!;
      if (META.has(node.callFrame.functionName)) continue;
      const name = frameName(node.callFrame);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusiveMs.set(name, (inclusiveMs.get(name) ?? 0) + ms);
    }
  }
  const busyMs = totalMs - idleMs;
  const rank = (costs: Map<string, number>): Cost[] =>
    [...costs].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, ms]) => ({
      name,
      ms,
      share: busyMs > 0 ? ms / busyMs : 0,
    }));
  return {
    totalMs,
    idleMs,
    busyMs,
    self: rank(selfMs),
    inclusive: rank(inclusiveMs),
    areas: rank(areaMs),
  };
}

/** The summary as text lines for a terminal or a README. */
export function formatSummary(summary: ProfileSummary, indent = "  "): string[] {
  const pct = (x: number) => `${(x * 100).toFixed(1).padStart(5)}%`;
  const lines = [
    `${indent}profiled ${summary.totalMs.toFixed(0)} ms: idle ${
      pct(summary.idleMs / (summary.totalMs || 1))
    }, busy ${summary.busyMs.toFixed(0)} ms`,
    `${indent}self time by area (share of busy):`,
    ...summary.areas.map((cost) => `${indent}  ${pct(cost.share)}  ${cost.name}`),
    `${indent}self time (share of busy):`,
    ...summary.self.map((cost) => `${indent}  ${pct(cost.share)}  ${cost.name}`),
    `${indent}inclusive time (share of busy):`,
    ...summary.inclusive.map((cost) => `${indent}  ${pct(cost.share)}  ${cost.name}`),
  ];
  return lines;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    options: { top: { type: "string" } },
    allowPositionals: true,
  });
  if (positionals.length === 0) {
    console.error("usage: _cpu_profile.ts file.cpuprofile [--top 15]");
    Deno.exit(2);
  }
  for (const file of positionals) {
    const profile = JSON.parse(await Deno.readTextFile(file)) as CpuProfile;
    console.log(file);
    for (const line of formatSummary(summarise(profile, Number(values.top ?? 15)))) {
      console.log(line);
    }
  }
}
