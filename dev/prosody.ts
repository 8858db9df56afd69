/**
 * A throwaway Prosody, started from a temp dir on free loopback ports: the XMPP server of the
 * end-to-end tests and of `deno task demo`.
 *
 * Why a real server: the gateway's correctness depends on what an actual XMPP server does with
 * its stanzas (XEP-0114 handshake, XEP-0356 privileges, carbons, routing errors). Faking that
 * would test our assumptions instead of the behaviour admins get.
 *
 * The settings that matter are set below (`run_as_root`,
 * `c2s_require_encryption`, stopping via the pidfile pid).
 *
 * @module
 */

import { join } from "node:path";
import { portsNear } from "./ports.ts";
import {
  killOnUnload,
  removeDirOnUnload,
  removeOwnedDir,
  sleep,
  tail,
  TIMED_OUT,
  within,
} from "./_util.ts";

const PROSODY = "/usr/bin/prosody";
const PROSODYCTL = "/usr/bin/prosodyctl";
/** Where Debian's `prosody` (and `prosody-modules`) put their modules. */
const MODULE_DIR = "/usr/lib/prosody/modules";

/** True when this machine's Prosody has the module `name` (e.g. `http_file_share`). */
export function prosodyHasModule(name: string): boolean {
  for (
    const path of [`${MODULE_DIR}/mod_${name}.lua`, `${MODULE_DIR}/mod_${name}/mod_${name}.lua`]
  ) {
    try {
      if (Deno.statSync(path).isFile) return true;
    } catch { /* not there */ }
  }
  return false;
}

/** Options for {@linkcode startProsody}; every field has a default so most tests pass nothing. */
export interface ProsodyOptions {
  /** The gateway's component domain; default `facebook.localhost`. */
  componentDomain?: string;
  /** The XEP-0114 shared secret; default a fresh random hex string. */
  componentSecret?: string;
  /**
   * Grant the component XEP-0356 `roster = "both"; message = "outgoing"` and pubsub `set` iqs
   * (bookmarks); default true.
   */
  privileges?: boolean;
  /** Extra modules for the `localhost` VirtualHost (on top of the defaults). */
  hostModules?: string[];
  /** Extra Lua lines for the global section (e.g. `"mam_smart_enable = true"`). */
  globalConfig?: string;
  /** Extra Lua lines inside the `localhost` VirtualHost section. */
  hostConfig?: string;
  /**
   * Serve HTTP (e.g. for `http_file_share`) on a free loopback port, exposed as
   * {@linkcode ProsodyServer.httpPort}. Picked here, not by the test, so a port taken by a parallel
   * test between picking and binding is retried like the others.
   */
  http?: boolean;
  /**
   * Ports to try first (the demo prefers the standard ones, so clients need no port setting); a
   * taken one is replaced by a free port just above it, else by any free port. Default: any.
   */
  preferredPorts?: { c2s?: number; component?: number; http?: number };
  /** Where Prosody logs (debug level); default `prosody.log` in its temp dir. */
  logFile?: string;
  /** How long to wait for both ports to accept connections; default 10 s. */
  startTimeoutMs?: number;
}

/** A running (or stopped, restartable) Prosody owned by one test. */
export interface ProsodyServer extends AsyncDisposable {
  /** The client domain users live on: always `localhost`. */
  readonly domain: string;
  /** The gateway's component domain, e.g. `facebook.localhost`. */
  readonly componentDomain: string;
  /** The component secret configured in Prosody. */
  readonly componentSecret: string;
  /** Loopback port for client connections (plain TCP, no TLS). */
  readonly c2sPort: number;
  /** Loopback port for XEP-0114 component connections. */
  readonly componentPort: number;
  /** Loopback HTTP port when started with `http: true`, else undefined. */
  readonly httpPort: number | undefined;
  /** The temp dir holding config, data, pidfile and log. */
  readonly dir: string;
  /** Path of the generated Prosody config file. */
  readonly configFile: string;
  /** Create a user `user@localhost` with prosodyctl (works whether or not Prosody is running). */
  register(user: string, password: string): Promise<void>;
  /**
   * Stop and start again on the same ports and data (simulates a server restart). Connected
   * clients get a `system-shutdown` stream error; xmpp.js clients and components reconnect.
   */
  restart(): Promise<void>;
  /**
   * Stop Prosody (SIGTERM to the pidfile pid, SIGKILL after 5 s). Idempotent.
   */
  stop(): Promise<void>;
  /** Start again after {@linkcode stop}, same ports and data. */
  start(): Promise<void>;
  /** Whether a Prosody process is currently running for this server. */
  readonly running: boolean;
  /** The whole Prosody log file (debug level) plus captured stdout/stderr. */
  log(): Promise<string>;
  /** Stop and remove the temp dir (kept when `E2E_KEEP_TMP` is set, for debugging). */
  [Symbol.asyncDispose](): Promise<void>;
}

export { freePorts } from "./ports.ts";

/** True if something accepts TCP connections on 127.0.0.1:port right now. */
async function portOpen(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/** Lua string literal for a plain string (paths, domains, secrets). */
function lua(s: string): string {
  if ([...s].some((c) => c < " " || c === "\\" || c === '"')) {
    throw new Error(`Unsupported character in Prosody config: ${s}`);
  }
  return `"${s}"`;
}

/** Drain a child's output stream into `sink` so the pipe never fills up. */
async function drain(stream: ReadableStream<Uint8Array>, sink: string[]): Promise<void> {
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      sink.push(chunk);
      if (sink.length > 500) sink.splice(0, sink.length - 500);
    }
  } catch { /* stream closed */ }
}

const DEFAULT_HOST_MODULES = [
  "roster",
  "saslauth",
  "disco",
  "ping",
  "carbons",
  "pep",
  "blocklist",
  "vcard_legacy",
  "private",
  "time",
  "version",
  "posix",
];

function renderConfig(
  o: {
    dir: string;
    logFile: string;
    c2sPort: number;
    componentPort: number;
    httpPort: number | undefined;
    componentDomain: string;
    componentSecret: string;
    privileges: boolean;
    hostModules: string[];
    globalConfig: string;
    hostConfig: string;
  },
): string {
  // mod_privilege must run on the user host too: that instance reads `privileged_entities`.
  const modules = [
    ...new Set([...DEFAULT_HOST_MODULES, ...(o.privileges ? ["privilege"] : []), ...o.hostModules]),
  ];
  const privileged = o.privileges
    ? `  privileged_entities = {
    [${lua(o.componentDomain)}] = {
      roster = "both";
      message = "outgoing";
      iq = { ["http://jabber.org/protocol/pubsub"] = "set" };
    };
  }\n`
    : "";
  return `-- Generated by dev/prosody.ts
run_as_root = true
pidfile = ${lua(join(o.dir, "prosody.pid"))}
data_path = ${lua(join(o.dir, "data"))}
certificates = ${lua(join(o.dir, "certs"))}
log = { { levels = { min = "debug" }, to = "file", filename = ${lua(o.logFile)} } }
interfaces = { "127.0.0.1" }
component_interfaces = { "127.0.0.1" }
c2s_ports = { ${o.c2sPort} }
component_ports = { ${o.componentPort} }
s2s_ports = {}
http_ports = { ${o.httpPort ?? ""} }
http_interfaces = { "127.0.0.1" }
https_ports = {}
-- On SIGTERM Prosody closes every stream and then waits ~1 s for sockets to finish; tests restart
-- often, so give lingering connections 0.25 s before they are dropped.
network_settings = { shutdown_deadline = 0.25 }
c2s_require_encryption = false
s2s_require_encryption = false
allow_registration = false
authentication = "internal_hashed"
-- xmpp.js computes SCRAM's PBKDF2 one WebCrypto HMAC at a time (~65 µs each here): Prosody's
-- default 10000 iterations cost ~650 ms per login, 4096 (the minimum it accepts) ~270 ms.
default_iteration_count = 4096
storage = "internal"
modules_enabled = { ${modules.map(lua).join("; ")} }
modules_disabled = { "s2s" }
${o.globalConfig}

VirtualHost "localhost"
${privileged}${o.hostConfig}

Component ${lua(o.componentDomain)}
  component_secret = ${lua(o.componentSecret)}
  modules_enabled = { ${o.privileges ? '"privilege"' : ""} }
`;
}

class ProsodyServerImpl implements ProsodyServer {
  readonly domain = "localhost";
  readonly configFile: string;
  #child: Deno.ChildProcess | null = null;
  #output: string[] = [];
  #drains: Promise<void> = Promise.resolve();
  #disposed = false;

  constructor(
    readonly dir: string,
    readonly componentDomain: string,
    readonly componentSecret: string,
    readonly c2sPort: number,
    readonly componentPort: number,
    readonly httpPort: number | undefined,
    readonly startTimeoutMs: number,
    readonly logFile: string,
  ) {
    this.configFile = join(dir, "prosody.cfg.lua");
  }

  get running(): boolean {
    return this.#child !== null;
  }

  async log(): Promise<string> {
    let text = "";
    try {
      text = await Deno.readTextFile(this.logFile);
    } catch { /* not created yet */ }
    // Drop the "unable to find lua-unbound" banner Debian's Prosody prints on every start.
    const out = this.#output.join("").replace(
      /\*{10,}\s*Prosody was unable to find lua-unbound[\s\S]*?\*{10,}\n?/g,
      "",
    );
    return out.trim() ? `${text}\n--- prosody stdout/stderr ---\n${out}` : text;
  }

  async start(): Promise<void> {
    if (this.#child) return;
    // A stale pidfile (left by a SIGKILL) must never make stop() signal a recycled pid.
    await Deno.remove(join(this.dir, "prosody.pid")).catch(() => {});
    const logFile = this.logFile;
    const logOffset = await Deno.stat(logFile).then((s) => s.size, () => 0);
    const child = new Deno.Command(PROSODY, {
      args: ["-F", "--config", this.configFile],
      cwd: this.dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    killOnUnload(child);
    this.#drains = Promise.all([
      drain(child.stdout, this.#output),
      drain(child.stderr, this.#output),
    ])
      .then(() => {});
    let exited = false;
    child.status.then(() => exited = true);

    const deadline = Date.now() + this.startTimeoutMs;
    let problem = "";
    while (true) {
      if (exited) {
        problem = "Prosody exited during startup";
        break;
      }
      if (
        (await portOpen(this.c2sPort)) && (await portOpen(this.componentPort)) &&
        (this.httpPort === undefined || (await portOpen(this.httpPort)))
      ) {
        // Prosody keeps running after a failed bind or module load: treat its startup errors as
        // fatal, or tests would run against a half-configured server (or a stranger's port).
        const bytes = await Deno.readFile(logFile).catch(() => new Uint8Array());
        const log = new TextDecoder().decode(bytes.subarray(logOffset));
        const errors = log.split("\n").filter((l) => /\t(error|fatal)\t/.test(l)).join("\n");
        if (/Failed to open server port/.test(log)) {
          problem = `Prosody could not bind its ports:\n${errors}`;
        } else if (errors) {
          problem = `Prosody logged errors during startup:\n${errors}`;
        }
        break;
      }
      if (Date.now() > deadline) {
        problem =
          `Prosody ports ${this.c2sPort}/${this.componentPort} not open after ${this.startTimeoutMs} ms`;
        break;
      }
      await sleep(25);
    }
    if (problem) {
      await this.stop();
      throw new Error(`${problem}\n--- log tail ---\n${tail(await this.log(), 40)}`);
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    let pid = child.pid;
    try {
      const text = await Deno.readTextFile(join(this.dir, "prosody.pid"));
      const parsed = Number.parseInt(text.trim(), 10);
      if (Number.isInteger(parsed) && parsed > 0) pid = parsed;
    } catch { /* no pidfile (yet): the child is Prosody itself (env execs lua) */ }
    const signal = (sig: Deno.Signal) => {
      for (const p of new Set([pid, child.pid])) {
        try {
          Deno.kill(p, sig);
        } catch { /* already gone */ }
      }
    };
    signal("SIGTERM");
    if ((await within(child.status, 5000)) === TIMED_OUT) {
      signal("SIGKILL");
      await within(child.status, 2000);
    }
    await within(this.#drains, 1000);
    this.#child = null;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async register(user: string, password: string): Promise<void> {
    const out = await new Deno.Command(PROSODYCTL, {
      args: ["--config", this.configFile, "register", user, this.domain, password],
      cwd: this.dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(15_000),
    }).output();
    if (!out.success) {
      const dec = new TextDecoder();
      throw new Error(
        `prosodyctl register ${user}@${this.domain} failed (code ${out.code}): ${
          dec.decode(out.stdout)
        }${dec.decode(out.stderr)}`,
      );
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    try {
      await this.stop();
    } finally {
      await removeOwnedDir(this.dir, "Prosody files");
    }
  }
}

/**
 * Start a fresh Prosody in a new temp dir and wait until its c2s and component ports accept
 * connections. Always `await using` the result so the process and dir go away even when a test
 * fails.
 */
export async function startProsody(opts: ProsodyOptions = {}): Promise<ProsodyServer> {
  const componentDomain = opts.componentDomain ?? "facebook.localhost";
  const componentSecret = opts.componentSecret ??
    Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0"))
      .join("");
  let lastError: unknown;
  // A port picked by freePorts() can be taken by someone else before Prosody binds it: retry.
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = await Deno.makeTempDir({ prefix: "e2e-prosody-" });
    removeDirOnUnload(dir);
    await Deno.mkdir(join(dir, "data"));
    await Deno.mkdir(join(dir, "certs"));
    const logFile = opts.logFile ?? join(dir, "prosody.log");
    // Preferred ports only on the first attempt: a retry means one of them was snatched.
    const preferred = attempt === 0 ? opts.preferredPorts ?? {} : {};
    const wanted = [preferred.c2s ?? 0, preferred.component ?? 0];
    if (opts.http) wanted.push(preferred.http ?? 0);
    const [c2sPort, componentPort, httpPort] = portsNear(wanted);
    const server = new ProsodyServerImpl(
      dir,
      componentDomain,
      componentSecret,
      c2sPort,
      componentPort,
      httpPort,
      opts.startTimeoutMs ?? 10_000,
      logFile,
    );
    await Deno.writeTextFile(
      server.configFile,
      renderConfig({
        dir,
        logFile,
        c2sPort,
        componentPort,
        httpPort,
        componentDomain,
        componentSecret,
        privileges: opts.privileges ?? true,
        hostModules: opts.hostModules ?? [],
        globalConfig: opts.globalConfig ?? "",
        hostConfig: opts.hostConfig ?? "",
      }),
    );
    try {
      await server.start();
      return server;
    } catch (e) {
      lastError = e;
      await server[Symbol.asyncDispose]();
      if (!(e instanceof Error && e.message.startsWith("Prosody could not bind"))) break;
    }
  }
  throw lastError;
}
