/**
 * The project's npm dependencies, installed into `node_modules/` from `deno.lock` with Deno's
 * output in a log file: the first run of the demo or the tests fetches a couple of hundred
 * packages, and their "Download …/Initialize …" lines would bury what the tool has to say.
 *
 * This is why deno.json says `"nodeModulesDir": "manual"`: with `auto`, `deno task` itself
 * installs before any task starts and prints every package. Tasks that run code start with
 * `deno install --frozen --quiet` (or this) instead.
 *
 * @module
 */

import { REPO_ROOT } from "./paths.ts";

/** `deno install --frozen` in the repository; its output goes to `log`. Throws naming the log. */
export async function installDependencies(log: { path: string; shown: string }): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["install", "--frozen"],
    cwd: REPO_ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.writeFile(log.path, out.stdout);
  await Deno.writeFile(log.path, out.stderr, { append: true });
  if (!out.success) {
    throw new Error(`deno install --frozen failed (exit ${out.code}): see ${log.shown}`);
  }
}
