/**
 * `deno task demo`: the gateway working, from a fresh clone, in one command. It starts a
 * throwaway Prosody of its own (dev/prosody.ts) on free loopback ports, creates the XMPP account
 * `demo@localhost`, starts the gateway on the simulated Messenger network (examples/world.toml),
 * registers the account with it through a real XMPP client, plays a short scripted conversation
 * printed as a transcript (dev/demo_conversation.ts), and prints how to connect any XMPP client.
 * Ctrl-C (or SIGTERM) stops the gateway and Prosody and removes the temp folders.
 *
 * Quiet on purpose: tools' chatter goes to log files in `.state/demo/`; the terminal shows one
 * progress line per part, with its duration. Nothing is written outside the temp folders and
 * `.state/`. The task runs dev/preflight.ts first (Prosody and the npm dependencies).
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { type GatewayProcess, spawnGateway } from "./gateway_process.ts";
import { REPO_ROOT, statePath } from "./paths.ts";
import {
  DEMO_STARTED,
  ensurePackages,
  MissingPackages,
  PROSODY,
  PROSODY_MODULES,
} from "./preflight.ts";
import { seconds, step, write } from "./progress.ts";
import { portsNear } from "./ports.ts";
import { prosodyHasModule, type ProsodyServer, startProsody } from "./prosody.ts";
import { AccountControl } from "./simulated_control.ts";
import { DEMO_STEPS, type DemoClient, registerDemoClient } from "./demo_conversation.ts";

const HELP = `deno task demo [--no-client] [--exit]

Starts a throwaway XMPP server (Prosody) and the gateway on a simulated Messenger network, and
shows a scripted conversation. Then connect any XMPP client with the account it prints.

  --no-client  skip the scripted conversation (the account is still registered with the gateway)
  --exit       stop everything after the transcript instead of waiting for Ctrl-C
  -h, --help   show this help
`;

/** Ports tried first: the standard ones spare the user a port setting in their client. */
const PREFERRED = { c2s: 5222, component: 5347, http: 5280, control: 7777 };

/** The XMPP account the demo creates. */
const USER = "demo";

/** Everything started so far, stopped in reverse order by {@link stopAll}. */
const running: { client?: DemoClient; gateway?: GatewayProcess; prosody?: ProsodyServer } = {};
/** Temp folders to remove at the end. */
const tempDirs: string[] = [];
let gatewayLog: Deno.FsFile | undefined;

/** Stops the client, the gateway and Prosody and removes the temp folders. Never throws. */
async function stopAll(): Promise<void> {
  const { client, gateway, prosody } = running;
  running.client = running.gateway = running.prosody = undefined;
  for (const part of [client, gateway, prosody]) {
    await Promise.resolve(part?.[Symbol.asyncDispose]()).catch(() => {});
  }
  for (const dir of tempDirs.splice(0)) await Deno.remove(dir, { recursive: true }).catch(() => {});
  try {
    gatewayLog?.close();
  } catch { /* already closed */ }
  gatewayLog = undefined;
}

/** A SIGINT or SIGTERM: stop everything and exit (0 once the demo was up, else 130). */
function onSignals(ready: () => boolean): void {
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    write("\nStopping the gateway and the XMPP server… ");
    const start = performance.now();
    await stopAll();
    write(`${seconds(start)}\n`);
    Deno.exit(ready() ? 0 : 130);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

/**
 * When `deno task demo` began (written by its preflight, see dev/preflight.ts), as a
 * `performance.now()` value; this process's start when run on its own.
 */
async function taskStart(): Promise<number> {
  const text = await Deno.readTextFile(statePath(DEMO_STARTED).path).catch(() => "");
  const ageMs = Date.now() - Number(text);
  return text && ageMs >= 0 && ageMs < 10 * 60_000 ? performance.now() - ageMs : performance.now();
}

/** A random password of 12 lower-case letters and digits (easy to type into a client). */
function newPassword(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => alphabet[b % 31]).join("");
}

/** The lines in a frame of box-drawing characters. */
function box(lines: string[]): string {
  const width = Math.max(...lines.map((line) => [...line].length));
  const pad = (line: string) => line + " ".repeat(width - [...line].length);
  return [
    `┌${"─".repeat(width + 2)}┐`,
    ...lines.map((line) => `│ ${pad(line)} │`),
    `└${"─".repeat(width + 2)}┘`,
  ].join("\n");
}

/** The gateway's configuration for this run (TOML strings are JSON strings). */
function gatewayConfig(o: {
  prosody: ProsodyServer;
  dataDir: string;
  controlPort: number;
  uploads: boolean;
}): string {
  const s = JSON.stringify;
  return [
    "# Written by dev/demo.ts for one demo run.",
    "[component]",
    `jid = ${s(o.prosody.componentDomain)}`,
    `secret = ${s(o.prosody.componentSecret)}`,
    `server = "127.0.0.1"`,
    `port = ${o.prosody.componentPort}`,
    "[gateway]",
    `name = "Facebook Messenger (demo)"`,
    `admins = [${s(`${USER}@${o.prosody.domain}`)}]`,
    `allowed_jids = ['[^@/]+@localhost']`,
    `data = ${s(join(o.dataDir, "gateway.kv"))}`,
    "login_stagger_ms = 0",
    "[messenger]",
    `backend = "simulated"`,
    "[simulated]",
    `world = ${s(join(REPO_ROOT, "examples", "world.toml"))}`,
    `control = "127.0.0.1:${o.controlPort}"`,
    ...(o.uploads ? ["[messages]", `upload_service = ${s(o.prosody.domain)}`] : []),
    "[log]",
    `level = "info"`,
    "",
  ].join("\n");
}

async function main(args: string[]): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args,
      options: {
        "no-client": { type: "boolean" },
        exit: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    console.error(`demo: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (flags.help) {
    write(HELP);
    return 0;
  }
  const started = await taskStart();
  let ready = false;
  onSignals(() => ready);
  try {
    await ensurePackages([PROSODY, PROSODY_MODULES], { aptGet: null });
  } catch (error) {
    if (!(error instanceof MissingPackages)) throw error;
    console.error(`The demo needs Prosody (deno task demo installs it). ${error.message}`);
    return 1;
  }
  const logs = { gateway: statePath("demo/gateway.log"), prosody: statePath("demo/prosody.log") };
  await Deno.mkdir(join(REPO_ROOT, ".state", "demo"), { recursive: true });
  const dataDir = await Deno.makeTempDir({ prefix: "messenger-gateway-demo-" });
  tempDirs.push(dataDir);
  await Deno.writeTextFile(logs.prosody.path, "");

  const uploads = prosodyHasModule("http_file_share");
  const prosody = await step("Starting the XMPP server (Prosody)", () =>
    startProsody({
      componentDomain: "facebook.localhost",
      preferredPorts: PREFERRED,
      http: uploads,
      hostModules: uploads ? ["http_file_share"] : [],
      // Upload links must name an address the gateway and the user's client can reach.
      hostConfig: uploads ? `  http_host = "127.0.0.1"` : "",
      logFile: logs.prosody.path,
    }));
  running.prosody = prosody;
  const password = newPassword();
  await step(
    `Creating the XMPP account ${USER}@${prosody.domain}`,
    () => prosody.register(USER, password),
  );

  const gateway = await step(
    "Starting the gateway on the simulated Messenger network",
    async () => {
      const [controlPort] = portsNear([PREFERRED.control]);
      const config = join(dataDir, "gateway.toml");
      await Deno.writeTextFile(config, gatewayConfig({ prosody, dataDir, controlPort, uploads }));
      gatewayLog = await Deno.open(logs.gateway.path, {
        write: true,
        create: true,
        truncate: true,
      });
      const log = gatewayLog;
      const encoder = new TextEncoder();
      const process = spawnGateway({
        config,
        dataDir,
        worldFile: join(REPO_ROOT, "examples", "world.toml"),
        onLine: (line) => void log.writeSync(encoder.encode(`${line}\n`)),
      });
      running.gateway = process;
      await process.waitForLog(/component online/i, 60_000);
      return process;
    },
  );
  const control = new AccountControl(await gateway.controlUrl(), "100001");

  const client = await step(
    `Registering ${USER}@${prosody.domain} with the gateway`,
    () => registerDemoClient(prosody, USER, password),
  );
  running.client = client;
  if (!flags["no-client"]) {
    write(`\nTranscript (a scripted XMPP client logged in as ${USER}@${prosody.domain}):\n`);
    await client.play(DEMO_STEPS, control, (line) => write(`  ${line}\n`));
  }
  // Signed off, so that the user's own client is the one that gets the messages.
  running.client = undefined;
  await client[Symbol.asyncDispose]();

  ready = true;
  const example = JSON.stringify({ type: "message", actor: "200002", text: "Hi from Bob!" });
  write(`\nReady in ${seconds(started)}.\n`);
  write(`${
    box([
      "Connect any XMPP client (plain connection on loopback, no certificate needed):",
      `  server    127.0.0.1, port ${prosody.c2sPort}`,
      `  account   ${USER}@${prosody.domain}`,
      `  password  ${password}`,
      `  Your Messenger contacts (as ${client.messengerName}) are in its roster; the gateway is`,
      `  ${prosody.componentDomain}. Send it 'help' for its commands.`,
      "",
      `Make a friend write, through the control API at ${control.base}:`,
      `  curl -d '${example}' \\`,
      `    ${control.base}/accounts/100001/events`,
      "",
      flags.exit ? "--exit: everything stops now." : "Ctrl-C stops everything.",
    ])
  }\n`);
  write(`Logs: ${logs.gateway.shown}, ${logs.prosody.shown}\n`);
  if (flags.exit) {
    await stopAll();
    return 0;
  }
  // Until a signal: its handler stops everything and exits.
  return await new Promise<number>(() => {
    setInterval(() => {}, 1 << 30); // keeps the event loop alive meanwhile
  });
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    console.error(`\ndemo: ${(error as Error).message}`);
    console.error("Logs: .state/demo/gateway.log, .state/demo/prosody.log");
    code = 1;
  }
  await stopAll();
  Deno.exit(code);
}
