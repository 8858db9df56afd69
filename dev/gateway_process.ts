/**
 * The gateway as a child process, started the way an admin starts it: `deno run main.ts --config`.
 * Shared by the e2e tests (tests/e2e/_harness/gateway.ts writes their configs) and
 * `deno task demo`.
 *
 * Why a process and not an in-process import: the tests must cover the composition root (flag
 * parsing, config loading, logging, signal handling, exit codes) and must not share globals, timers
 * or KV handles with the test runner; the demo must stop it like an admin would (SIGTERM).
 *
 * @module
 */

import { join } from "node:path";
import { forgetDir, killOnUnload, removeDirOnUnload, tail, TIMED_OUT, within } from "./_util.ts";
import { REPO_ROOT } from "./paths.ts";

export { REPO_ROOT } from "./paths.ts";

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

/** Options for {@linkcode spawnGateway}. */
export interface SpawnOptions {
  /** The configuration file to pass with `--config`. */
  config: string;
  /** A folder owned by this process: removed when it is disposed. */
  dataDir: string;
  /** The simulated network's world file the configuration names. */
  worldFile: string;
  /** Extra environment variables (the parent's are inherited, minus `MESSENGER_GATEWAY_*`). */
  env?: Record<string, string>;
  /** Extra command-line arguments after `--config FILE`. */
  args?: string[];
  /** Called with every output line as it arrives (e.g. to write a log file). */
  onLine?: (line: string) => void;
}

/**
 * Starts `deno run --allow-all main.ts --config FILE` from the repository root, capturing its
 * output. The process is killed if the calling program ends without stopping it.
 */
export function spawnGateway(opts: SpawnOptions): GatewayProcess {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(Deno.env.toObject())) {
    if (!k.startsWith("MESSENGER_GATEWAY_")) env[k] = v;
  }
  Object.assign(env, { NO_COLOR: "1" }, opts.env ?? {});
  removeDirOnUnload(opts.dataDir);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      join(REPO_ROOT, "main.ts"),
      "--config",
      opts.config,
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
  return new GatewayProcessImpl(child, opts);
}

class GatewayProcessImpl implements GatewayProcess {
  readonly exited: Promise<{ code: number; signal: Deno.Signal | null }>;
  #lines: string[] = [];
  #waiters = new Set<(line: string | null) => void>();
  #drained: Promise<void>;
  #hasExited = false;
  #disposed = false;

  readonly config: string;
  readonly dataDir: string;
  readonly worldFile: string;
  readonly #onLine: ((line: string) => void) | undefined;

  constructor(readonly child: Deno.ChildProcess, opts: SpawnOptions) {
    this.config = opts.config;
    this.dataDir = opts.dataDir;
    this.worldFile = opts.worldFile;
    this.#onLine = opts.onLine;
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
    this.#onLine?.(line);
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
