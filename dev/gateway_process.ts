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
import { removeDirOnUnload, removeOwnedDir } from "./_util.ts";
import { CapturedProcess, spawnPiped } from "./captured_process.ts";
import { REPO_ROOT } from "./paths.ts";

export { REPO_ROOT } from "./paths.ts";

/** A running gateway process; `await using` it so it is always stopped and its temp dir removed. */
export interface GatewayProcess extends CapturedProcess, AsyncDisposable {
  /** Path of the generated config file. */
  readonly config: string;
  /** Temp dir holding config, world file and KV data. */
  readonly dataDir: string;
  /** Path of the world file the simulated network reads. */
  readonly worldFile: string;
  /**
   * The simulated network's control API base URL, read from the gateway's log. Configure
   * `simulated.control = "127.0.0.1:0"` so the kernel picks the port: a port chosen by the test
   * beforehand can be taken by a parallel test before the gateway binds it.
   */
  controlUrl(timeoutMs?: number): Promise<string>;
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
  /** Extra `deno run` flags before `main.ts` (benchmarks preload their probe this way). */
  denoArgs?: string[];
  /** Called with every output line as it arrives (e.g. to write a log file). */
  onLine?: (line: string) => void;
  /** The program to run instead of `main.ts` (same arguments); a path. */
  entry?: string;
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
  const child = spawnPiped(
    Deno.execPath(),
    [
      "run",
      "--allow-all",
      ...(opts.denoArgs ?? []),
      opts.entry ?? join(REPO_ROOT, "main.ts"),
      "--config",
      opts.config,
      ...(opts.args ?? []),
    ],
    { cwd: REPO_ROOT, env },
  );
  return new GatewayProcessImpl(child, opts);
}

class GatewayProcessImpl extends CapturedProcess implements GatewayProcess {
  readonly config: string;
  readonly dataDir: string;
  readonly worldFile: string;
  #disposed = false;

  constructor(child: Deno.ChildProcess, opts: SpawnOptions) {
    super(child, { name: "gateway", ...(opts.onLine ? { onLine: opts.onLine } : {}) });
    this.config = opts.config;
    this.dataDir = opts.dataDir;
    this.worldFile = opts.worldFile;
  }

  async controlUrl(timeoutMs = 10_000): Promise<string> {
    const line = await this.waitForLog(/control API listening on http:\/\/\S+/, timeoutMs);
    return line.match(/http:\/\/[^\s"]+/)![0];
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    try {
      await this.stop();
    } finally {
      await removeOwnedDir(this.dataDir, "gateway files");
    }
  }
}
