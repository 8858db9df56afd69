/**
 * The gateway as a process of its own with the REAL Messenger adapter (fca-unofficial in its
 * Worker) pointed at the loopback fake of Facebook, for e2e tests that must kill and restart the
 * gateway while "Facebook" lives on (the fake runs in the test process, so what was said while
 * the gateway was down is still there when it comes back). `main.ts` cannot be pointed at the
 * fake: the endpoint override is test-only.
 *
 *     deno run -A tests/e2e/_harness/fca_gateway_main.ts --config FILE --fake-origin URL
 *
 * Loads the configuration like `main.ts`, logs the same way, and stops cleanly on SIGTERM.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { startApp } from "../../../src/app.ts";
import { loadConfig } from "../../../src/config/load.ts";
import { configureLogging, mainLog } from "../../../src/log.ts";
import { FcaNetwork } from "../../../src/messenger/fca/fca_network.ts";
import { TEST_TIMINGS } from "../../messenger/fca/_harness.ts";

const { values } = parseArgs({
  options: { config: { type: "string" }, "fake-origin": { type: "string" } },
});
const config = await loadConfig(values.config!);
configureLogging(config.log.level);
globalThis.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  mainLog.error("Unhandled rejection (contained): {error}", { error: event.reason });
});
const stop = new Promise<void>((resolve) => Deno.addSignalListener("SIGTERM", () => resolve()));
const network = new FcaNetwork({
  timings: TEST_TIMINGS,
  testOnly: { endpointOverride: { origin: values["fake-origin"]! } },
});
const app = await startApp(config, { network });
await stop;
await app.stop();
Deno.exit(0);
