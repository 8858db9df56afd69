/**
 * Runs every bench script in this folder (each `*.ts` but this one and `_`-prefixed helpers),
 * one after the other in its own `deno run -A`, passing on this script's arguments.
 * Exits 1 if any of them fails.
 *
 *     deno task bench [-- --n 2000]
 *
 * @module
 */

import { fileURLToPath as fromFileUrl } from "node:url";

const benchDir = new URL("./", import.meta.url);
const root = fromFileUrl(new URL("../", import.meta.url));
const config = fromFileUrl(new URL("../deno.json", import.meta.url));
const self = fromFileUrl(import.meta.url);

const scripts: string[] = [];
for await (const entry of Deno.readDir(benchDir)) {
  if (!entry.isFile || !entry.name.endsWith(".ts") || entry.name.startsWith("_")) continue;
  const path = fromFileUrl(new URL(entry.name, benchDir));
  if (path !== self) scripts.push(path);
}
scripts.sort();
if (scripts.length === 0) {
  console.error("bench: no bench scripts found");
  Deno.exit(1);
}

const failed: string[] = [];
for (const script of scripts) {
  const name = script.slice(root.length);
  console.log(`\n== ${name}`);
  const start = performance.now();
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", "--config", config, script, ...Deno.args],
    cwd: root,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  const seconds = ((performance.now() - start) / 1000).toFixed(1);
  console.log(`== ${name}: ${code === 0 ? "done" : `FAILED (exit ${code})`} in ${seconds} s`);
  if (code !== 0) failed.push(name);
}

if (failed.length > 0) {
  console.error(`\nbench: ${failed.length} of ${scripts.length} failed: ${failed.join(", ")}`);
  Deno.exit(1);
}
console.log(`\nbench: ${scripts.length} script(s) ran`);
