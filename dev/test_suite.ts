/**
 * `deno task test` after the preflight: runs `deno test --allow-all --parallel` (on `tests/`, or
 * on the paths given), then searches every log line the gateway processes of the run wrote for
 * every secret they were given (dev/log_secrets.ts). Exits non-zero when a test failed or a
 * secret was found; Deno's own summary line stays what `.ci/run` reads.
 *
 *     deno task test                      # the suite, bounded for CI
 *     deno task test --soak               # the long version (SOAK=1 for the tests)
 *     deno task test tests/e2e/x_test.ts  # some files only
 *
 * @module
 */

import { join } from "node:path";
import { LOG_DIR_ENV, scanLogs } from "./log_secrets.ts";
import { REPO_ROOT, statePath } from "./paths.ts";

const args = [...Deno.args];
const soak = args.includes("--soak");
const paths = args.filter((arg) => arg !== "--soak");
const logs = statePath("e2e-logs");
await Deno.remove(logs.path, { recursive: true }).catch(() => {});

const { code } = await new Deno.Command(Deno.execPath(), {
  args: ["test", "--allow-all", "--parallel", ...(paths.length > 0 ? paths : ["tests/"])],
  cwd: REPO_ROOT,
  env: { [LOG_DIR_ENV]: logs.path, ...(soak ? { SOAK: "1" } : {}) },
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).output();

const scan = await scanLogs(logs.path);
console.log(
  `secrets in the gateways' logs: ${scan.leaks.length} found (${scan.secrets} secrets looked ` +
    `for in ${scan.lines} lines of ${scan.files} gateway processes; logs in ${logs.shown})`,
);
if (scan.tooShort.length > 0) {
  console.log(`  too short to look for: ${scan.tooShort.join(", ")}`);
}
for (const leak of scan.leaks) console.error(`  SECRET IN LOG: ${join(logs.shown, leak)}`);
Deno.exit(code !== 0 ? code : scan.leaks.length > 0 ? 1 : 0);
