/**
 * Runs the fca Worker crash cases (_worker_crash_cases.ts) in a child `deno test`: Deno reports
 * every Worker killed by an uncaught error with a red "Uncaught (in worker …)" stack trace on
 * stderr, which no code can silence. Here that report is what proves the Worker really crashed,
 * and it stays out of the suite's output unless a case fails.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const CASES = fileURLToPath(new URL("./_worker_crash_cases.ts", import.meta.url));

Deno.test("a crashing fca Worker is contained (cases run in a child deno test)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    // Type-checked with the rest by `deno task check`.
    args: ["test", "--allow-all", "--no-check", CASES],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const decoder = new TextDecoder();
  const output = `${decoder.decode(out.stdout)}\n${decoder.decode(out.stderr)}`;
  assert.equal(out.code, 0, output);
  assert.match(output, /ok \| 4 passed \| 0 failed/, output);
  const crashes = output.match(/Uncaught \(in worker "fca-accounts"\) Error: Deliberate crash/g);
  assert.equal(crashes?.length, 4, `each case crashed its Worker once:\n${output}`);
});
