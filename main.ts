/**
 * messenger-gateway: an XMPP component (XEP-0114) bridging Facebook Messenger.
 *
 * The composition root: parse flags → load config → configure logging → start the app, and
 * turn every way of failing into a one-line message and a documented exit code (see README).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ConfigError } from "./src/config/config_error.ts";
import { loadConfig } from "./src/config/load.ts";
import { configWarnings } from "./src/config/warnings.ts";
import { configureLogging, mainLog } from "./src/log.ts";
import { WorldError } from "./src/messenger/simulated/world_error.ts";
import { StoreOpenError } from "./src/store/open_store.ts";
import { PROGRAM_NAME, VERSION } from "./src/version.ts";

/** Exit codes, documented in the README for admins and systemd. */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  config: 2,
  xmppRefused: 3,
  store: 4,
} as const;

const DEFAULT_CONFIG = "/etc/messenger-gateway/config.toml";

const HELP = `${PROGRAM_NAME} ${VERSION} — an XMPP gateway to Facebook Messenger

Usage: ${PROGRAM_NAME} [--config FILE] [--check-config] [--help] [--version]

Options:
  -c, --config FILE   configuration file (TOML); default: $MESSENGER_GATEWAY_CONFIG
                      or ${DEFAULT_CONFIG}
      --check-config  validate the configuration, print the result and exit
  -h, --help          show this help and exit
  -V, --version       print the version and exit

Environment:
  MESSENGER_GATEWAY_SECRET  the component secret (overrides component.secret)
  MESSENGER_GATEWAY_STORE_KEY  key encrypting the Messenger cookies and passwords in the
                            store (32 bytes, base64); or the systemd credential store-key
  MESSENGER_GATEWAY_CONFIG  default configuration file
  DENO_KV_ACCESS_TOKEN      token for a remote (KV Connect) gateway.data URL

Exit codes: 0 stopped normally or configuration valid; 1 unexpected internal error;
2 bad command line or configuration; 3 the XMPP server refused the component
(wrong secret, domain already connected); 4 the store could not be opened, or its
store key is missing, wrong or malformed.
`;

async function main(args: string[]): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      options: {
        config: { type: "string", short: "c" },
        "check-config": { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    console.error(`${PROGRAM_NAME}: ${(error as Error).message} (see --help)`);
    return EXIT.usage;
  }
  if (flags.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  if (flags.version) {
    console.log(`${PROGRAM_NAME} ${VERSION}`);
    return EXIT.ok;
  }

  const configPath = flags.config ?? Deno.env.get("MESSENGER_GATEWAY_CONFIG") ?? DEFAULT_CONFIG;
  let config;
  try {
    config = await loadConfig(configPath);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${PROGRAM_NAME}: invalid configuration:\n${error.message}`);
      return EXIT.config;
    }
    throw error;
  }
  if (flags["check-config"]) {
    const { checkNetworkConfig } = await import("./src/messenger/create_network.ts");
    try {
      await checkNetworkConfig(config);
    } catch (error) {
      if (!(error instanceof WorldError)) throw error;
      console.error(`${PROGRAM_NAME}: invalid simulated world:\n${error.message}`);
      return EXIT.config;
    }
    console.log(`Configuration ${config.file} is valid`);
    for (const warning of configWarnings(config)) console.error(`warning: ${warning}`);
    return EXIT.ok;
  }

  configureLogging(config.log.level);
  containStrayErrors();
  mainLog.info("Starting {name} {version} for {jid}", {
    name: PROGRAM_NAME,
    version: VERSION,
    jid: config.component.jid,
  });
  for (const warning of configWarnings(config)) mainLog.warn("{warning}", { warning });

  // Listening from before the start: a SIGTERM while starting must still stop cleanly (after the
  // start completes), not kill the process half-way through with the default action.
  const stopSignal = new Promise<string>((resolve) => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      Deno.addSignalListener(signal, () => resolve(signal));
    }
  });
  const { startApp } = await import("./src/app.ts");
  let app;
  try {
    app = await startApp(config);
  } catch (error) {
    if (error instanceof StoreOpenError) {
      mainLog.fatal(error.message);
      return EXIT.store;
    }
    if (error instanceof WorldError) {
      console.error(`${PROGRAM_NAME}: invalid simulated world:\n${error.message}`);
      return EXIT.config;
    }
    if (error instanceof ConfigError) {
      console.error(`${PROGRAM_NAME}: invalid configuration:\n${error.message}`);
      return EXIT.config;
    }
    throw error;
  }

  const outcome = await Promise.race([
    stopSignal.then((signal) => ({ kind: "signal" as const, signal })),
    app.failed.then((error) => ({ kind: "refused" as const, error })),
  ]);
  if (outcome.kind === "signal") {
    mainLog.info("Received {signal}, shutting down", { signal: outcome.signal });
    await app.stop();
    return EXIT.ok;
  }
  await app.stop();
  console.error(`${PROGRAM_NAME}: ${outcome.error.message}`);
  return EXIT.xmppRefused;
}

/**
 * One user's bad stanza or one Messenger session's failure must never take the process down:
 * stray rejections and errors are logged and swallowed.
 */
function containStrayErrors(): void {
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    mainLog.error("Unhandled rejection (contained): {error}", { error: event.reason });
  });
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    mainLog.error("Uncaught error (contained): {error}", { error: event.error });
  });
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    console.error(`${PROGRAM_NAME}: internal error: ${(error as Error)?.stack ?? error}`);
    code = EXIT.internal;
  }
  Deno.exit(code);
}
