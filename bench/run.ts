/**
 * Runs every bench script in this folder (each `*.ts` but this one and `_`-prefixed helpers),
 * one after the other in its own `deno run -A`, passing on this script's arguments; collects the
 * `TARGET {json}` lines they print (bench/_target.ts) into `bench/results/latest.json` and prints
 * them at the end as a table with PASS or MISS beside each. Exits 1 if any script fails (a missed
 * target is reported, not a failure: the figures depend on the machine and its load).
 *
 *     deno task bench [--n 2000]
 *     deno task bench --only message_path,many_users
 *
 * @module
 */

import { fileURLToPath as fromFileUrl } from "node:url";
import { parseArgs } from "node:util";
import { parseTargetLine, type TargetLine } from "./_target.ts";

const benchDir = new URL("./", import.meta.url);
const root = fromFileUrl(new URL("../", import.meta.url));
const config = fromFileUrl(new URL("../deno.json", import.meta.url));
const self = fromFileUrl(import.meta.url);
const resultsDir = fromFileUrl(new URL("./results/", import.meta.url));

const { values: flags } = parseArgs({
  args: Deno.args,
  options: { only: { type: "string" } },
  strict: false,
});
const only = typeof flags.only === "string"
  ? new Set(flags.only.split(",").map((name) => name.trim().replace(/\.ts$/, "")))
  : undefined;
const passedOn = Deno.args.filter((arg, i, args) =>
  !arg.startsWith("--only") && args[i - 1] !== "--only"
);

const scripts: string[] = [];
for await (const entry of Deno.readDir(benchDir)) {
  if (!entry.isFile || !entry.name.endsWith(".ts") || entry.name.startsWith("_")) continue;
  if (only && !only.has(entry.name.replace(/\.ts$/, ""))) continue;
  const path = fromFileUrl(new URL(entry.name, benchDir));
  if (path !== self) scripts.push(path);
}
scripts.sort();
if (scripts.length === 0) {
  console.error("bench: no bench scripts found");
  Deno.exit(1);
}

interface ScriptResult {
  script: string;
  ok: boolean;
  seconds: number;
  targets: TargetLine[];
}

const results: ScriptResult[] = [];
for (const script of scripts) {
  const name = script.slice(root.length);
  console.log(`\n== ${name}`);
  const start = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", config, script, ...passedOn],
    cwd: root,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const targets: TargetLine[] = [];
  await forEachLine(child.stdout, (line) => {
    console.log(line);
    const target = parseTargetLine(line);
    if (target) targets.push(target);
  });
  const { code } = await child.status;
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `== ${name}: ${code === 0 ? "done" : `FAILED (exit ${code})`} in ${seconds.toFixed(1)} s`,
  );
  results.push({ script: name, ok: code === 0, seconds: Number(seconds.toFixed(1)), targets });
}

const targets = results.flatMap((result) => result.targets);
await Deno.mkdir(resultsDir, { recursive: true });
const resultsFile = `${resultsDir}latest.json`;
await Deno.writeTextFile(
  resultsFile,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      deno: Deno.version.deno,
      args: passedOn,
      scripts: results.map(({ script, ok, seconds }) => ({ script, ok, seconds })),
      targets,
    },
    null,
    2,
  ) + "\n",
);

if (targets.length > 0) {
  console.log("\nTargets (ratios are against baselines measured in the same run):");
  const width = Math.max(...targets.map((target) => target.name.length));
  for (const target of targets) {
    console.log(
      `  ${target.met === null ? "INFO" : target.met ? "PASS" : "MISS"}  ${
        target.name.padEnd(width)
      }  ${String(target.value).padStart(9)}  (target ${target.target})`,
    );
  }
  const bounded = targets.filter((target) => target.met !== null);
  const met = bounded.filter((target) => target.met).length;
  console.log(`  ${met} of ${bounded.length} met; written to ${resultsFile.slice(root.length)}`);
}

const failed = results.filter((result) => !result.ok).map((result) => result.script);
if (failed.length > 0) {
  console.error(`\nbench: ${failed.length} of ${scripts.length} failed: ${failed.join(", ")}`);
  Deno.exit(1);
}
console.log(`\nbench: ${scripts.length} script(s) ran`);

/** Calls `each` for every line of a byte stream (the last one even without a newline). */
async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  each: (line: string) => void,
): Promise<void> {
  let partial = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) each(line);
  }
  if (partial) each(partial);
}
