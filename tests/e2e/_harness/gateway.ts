/**
 * The gateway as a child process, started the way an admin starts it: `deno run main.ts --config`.
 *
 * Why a process and not an in-process import: e2e tests must cover the composition root (flag
 * parsing, config loading, logging, signal handling, exit codes) and must not share globals, timers
 * or KV handles with the test runner.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import type { ProsodyServer } from "./prosody.ts";
import { forgetDir, killOnUnload, removeDirOnUnload, tail, TIMED_OUT, within } from "./_util.ts";

/** The repository root (three levels up from this file), where `main.ts` and `deno.json` live. */
export const REPO_ROOT: string = fileURLToPath(new URL("../../../", import.meta.url));

/** A TOML value as the tests write it (dates are rarely needed but valid). */
export type TomlValue = string | number | boolean | Date | TomlValue[] | TomlTable;

/** A TOML table; a key set to `undefined` in an override removes that key from the defaults. */
export interface TomlTable {
  [key: string]: TomlValue | undefined;
}

/**
 * The world file used when a test gives none: one account with one echoing friend, enough for a
 * login-and-chat round trip. Exported so tests can extend it instead of copying it.
 */
export const DEFAULT_WORLD = `[[account]]
email = "alice@example.com"
password = "correct horse"
user_id = "100001"
name = "Alice Example"

[[account.friend]]
id = "200001"
name = "Echo Bot"
echo = true
`;

/** Options for {@linkcode startGateway}. */
export interface GatewayOptions {
  /** Deep-merged over the default config (tables merge, other values replace, `undefined` deletes). */
  config?: TomlTable;
  /** TOML text parsed and deep-merged after `config`, for tests that prefer writing TOML. */
  toml?: string;
  /** World file contents for the simulated network; default {@linkcode DEFAULT_WORLD}. */
  world?: string;
  /** Extra environment variables (the parent's are inherited, minus `MESSENGER_GATEWAY_*`). */
  env?: Record<string, string>;
  /** Wait for the `component online` log line before resolving; default true. */
  expectOnline?: boolean;
  /** Bound on the wait for `component online`; default 20 s. */
  onlineTimeoutMs?: number;
  /** Extra command-line arguments after `--config FILE`. */
  args?: string[];
  /** Extra `deno run` flags before `main.ts` (benchmarks preload their probe this way). */
  denoArgs?: string[];
}

/** A running gateway process; `await using` it so it is always stopped and its temp dir removed. */
export interface GatewayProcess extends AsyncDisposable {
  /** Path of the generated config file. */
  readonly config: string;
  /** Temp dir holding config, world file and KV data. */
  readonly dataDir: string;
  /** Path of the world file the simulated network reads. */
  readonly worldFile: string;
  /** OS process id (e.g. to send signals the API does not cover). */
  readonly pid: number;
  /** Settles when the process exits; `signal` is set when a signal ended it. */
  readonly exited: Promise<{ code: number; signal: Deno.Signal | null }>;
  /**
   * Resolve with the first output line matching `re`, searching lines already captured (from line
   * index `from`, default 0) before waiting. Rejects on timeout (default 10 s) or if the process
   * exits first, quoting the captured output.
   */
  waitForLog(re: RegExp, timeoutMs?: number, from?: number): Promise<string>;
  /** Number of output lines captured so far: pass it as `from` to wait only for new lines. */
  mark(): number;
  /**
   * The simulated network's control API base URL, read from the gateway's log. Configure
   * `simulated.control = "127.0.0.1:0"` so the kernel picks the port: a port chosen by the test
   * beforehand can be taken by a parallel test before the gateway binds it.
   */
  controlUrl(timeoutMs?: number): Promise<string>;
  /** All output so far (stdout and stderr interleaved by arrival). */
  output(): string;
  /** Output lines so far. */
  lines(): string[];
  /** Send `signal` (default SIGTERM), wait for exit (SIGKILL after 10 s), return the exit code. */
  stop(signal?: Deno.Signal): Promise<number>;
  /** Stop and remove the temp dir (kept when `E2E_KEEP_TMP` is set, for debugging). */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Plain object (including smol-toml's null-prototype tables), not an array or a date. */
function isTable(v: unknown): v is TomlTable {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/**
 * Deep-merge `override` into a copy of `base`: tables merge recursively, everything else replaces,
 * `undefined` deletes. Exported for tests that build world files or configs the same way.
 */
export function mergeToml(base: TomlTable, override: TomlTable): TomlTable {
  const out: TomlTable = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) {
      delete out[key];
    } else {
      const current = out[key];
      out[key] = isTable(current) && isTable(value) ? mergeToml(current, value) : value;
    }
  }
  return out;
}

/** The default config for `server`, with data and world under `dir`. */
function defaultConfig(server: ProsodyServer, dir: string): TomlTable {
  return {
    component: {
      jid: server.componentDomain,
      secret: server.componentSecret,
      server: "127.0.0.1",
      port: server.componentPort,
    },
    gateway: {
      name: "Facebook Messenger (test)",
      admins: ["admin@localhost"],
      data: join(dir, "gateway.kv"),
    },
    messenger: { backend: "simulated" },
    simulated: { world: join(dir, "world.toml") },
    log: { level: "debug" },
  };
}

class GatewayProcessImpl implements GatewayProcess {
  readonly exited: Promise<{ code: number; signal: Deno.Signal | null }>;
  #lines: string[] = [];
  #waiters = new Set<(line: string | null) => void>();
  #drained: Promise<void>;
  #hasExited = false;
  #disposed = false;

  constructor(
    readonly child: Deno.ChildProcess,
    readonly config: string,
    readonly dataDir: string,
    readonly worldFile: string,
  ) {
    this.#drained = Promise.all([
      this.#drain(child.stdout),
      this.#drain(child.stderr),
    ]).then(() => {});
    this.exited = child.status.then(async (s) => {
      // Let the last lines (shutdown messages) land before anyone reads output().
      await within(this.#drained, 2000);
      this.#hasExited = true;
      for (const w of this.#waiters) w(null);
      return { code: s.code, signal: s.signal };
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  async #drain(stream: ReadableStream<Uint8Array>): Promise<void> {
    let partial = "";
    try {
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        const parts = (partial + chunk).split("\n");
        partial = parts.pop() ?? "";
        for (const line of parts) this.#push(line.replace(/\r$/, ""));
      }
    } catch { /* stream closed */ }
    if (partial) this.#push(partial);
  }

  #push(line: string): void {
    this.#lines.push(line);
    for (const w of this.#waiters) w(line);
  }

  output(): string {
    return this.#lines.join("\n");
  }

  lines(): string[] {
    return [...this.#lines];
  }

  mark(): number {
    return this.#lines.length;
  }

  waitForLog(re: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    const test = (line: string) => {
      re.lastIndex = 0;
      return re.test(line);
    };
    const found = this.#lines.slice(from).find(test);
    if (found !== undefined) return Promise.resolve(found);
    const failure = (why: string) =>
      new Error(
        `${why} waiting for ${re} in gateway output; last lines:\n${tail(this.output(), 40)}`,
      );
    if (this.#hasExited) return Promise.reject(failure("Gateway had exited"));
    return new Promise<string>((resolve, reject) => {
      const waiter = (line: string | null) => {
        if (line === null) {
          done();
          reject(failure("Gateway exited"));
        } else if (test(line)) {
          done();
          resolve(line);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(failure(`Timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      this.#waiters.add(waiter);
    });
  }

  async controlUrl(timeoutMs = 10_000): Promise<string> {
    const line = await this.waitForLog(/control API listening on http:\/\/\S+/, timeoutMs);
    return line.match(/http:\/\/[^\s"]+/)![0];
  }

  async stop(signal: Deno.Signal = "SIGTERM"): Promise<number> {
    if (!this.#hasExited) {
      try {
        this.child.kill(signal);
      } catch { /* exited meanwhile */ }
      if ((await within(this.exited, 10_000)) === TIMED_OUT) {
        try {
          this.child.kill("SIGKILL");
        } catch { /* exited meanwhile */ }
      }
    }
    const result = await within(this.exited, 5000);
    if (result === TIMED_OUT) throw new Error(`Gateway pid ${this.pid} did not exit after SIGKILL`);
    return result.code;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    try {
      await this.stop();
    } finally {
      if (Deno.env.get("E2E_KEEP_TMP")) {
        console.error(`E2E_KEEP_TMP: gateway files kept in ${this.dataDir}`);
      } else {
        await Deno.remove(this.dataDir, { recursive: true }).catch(() => {});
      }
      forgetDir(this.dataDir);
    }
  }
}

/**
 * Write a config (defaults for `server`, merged with `opts.config` then `opts.toml`) and a world
 * file into a new temp dir, start `deno run --allow-all main.ts --config FILE` from the repo root,
 * and, unless `opts.expectOnline` is false, wait until the gateway logs `component online`.
 * On failure the process is killed, the temp dir removed, and the error quotes its output.
 */
export async function startGateway(
  server: ProsodyServer,
  opts: GatewayOptions = {},
): Promise<GatewayProcess> {
  const dir = await Deno.makeTempDir({ prefix: "e2e-gateway-" });
  removeDirOnUnload(dir);
  let gateway: GatewayProcessImpl | undefined;
  try {
    let config = defaultConfig(server, dir);
    if (opts.config) config = mergeToml(config, opts.config);
    if (opts.toml) config = mergeToml(config, parseToml(opts.toml) as TomlTable);
    const configFile = join(dir, "gateway.toml");
    const worldFile = join(dir, "world.toml");
    await Deno.writeTextFile(configFile, stringifyToml(config));
    await Deno.writeTextFile(worldFile, opts.world ?? DEFAULT_WORLD);

    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(Deno.env.toObject())) {
      if (!k.startsWith("MESSENGER_GATEWAY_")) env[k] = v;
    }
    Object.assign(env, { NO_COLOR: "1" }, opts.env ?? {});

    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        ...(opts.denoArgs ?? []),
        join(REPO_ROOT, "main.ts"),
        "--config",
        configFile,
        ...(opts.args ?? []),
      ],
      cwd: REPO_ROOT,
      env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    killOnUnload(child);
    gateway = new GatewayProcessImpl(child, configFile, dir, worldFile);

    if (opts.expectOnline ?? true) {
      await gateway.waitForLog(/component online/i, opts.onlineTimeoutMs ?? 20_000);
    }
    return gateway;
  } catch (e) {
    if (gateway) {
      await gateway[Symbol.asyncDispose]();
    } else {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      forgetDir(dir);
    }
    throw e;
  }
}
