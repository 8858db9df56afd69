/**
 * A child process whose output is captured line by line and can be waited on ("the first line
 * matching …"): the gateway (dev/gateway_process.ts), and whole tools such as `deno task demo`
 * in its end-to-end test.
 *
 * @module
 */

import { killOnUnload, tail, TIMED_OUT, within } from "./_util.ts";

/** Options for {@linkcode spawnCaptured}. */
export interface CaptureOptions {
  /** Working directory of the child. */
  cwd?: string;
  /** The child's whole environment (nothing is inherited). */
  env: Record<string, string>;
  /** Called with every output line as it arrives (e.g. to write a log file). */
  onLine?: (line: string) => void;
  /** What the process is, for error messages ("gateway"). */
  name?: string;
}

/** Starts `command args…`, capturing stdout and stderr; killed if the caller ends first. */
export function spawnCaptured(
  command: string,
  args: string[],
  opts: CaptureOptions,
): CapturedProcess {
  return new CapturedProcess(spawnPiped(command, args, opts), opts);
}

/** Starts `command args…` with stdout and stderr piped, killed if the caller ends first. */
export function spawnPiped(
  command: string,
  args: string[],
  opts: Pick<CaptureOptions, "cwd" | "env">,
): Deno.ChildProcess {
  const child = new Deno.Command(command, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  killOnUnload(child);
  return child;
}

/** A running child with captured output lines. */
export class CapturedProcess {
  /** Settles when the process exits; `signal` is set when a signal ended it. */
  readonly exited: Promise<{ code: number; signal: Deno.Signal | null }>;
  readonly #name: string;
  readonly #onLine: ((line: string) => void) | undefined;
  #lines: string[] = [];
  #waiters = new Set<(line: string | null) => void>();
  #drained: Promise<void>;
  #hasExited = false;

  constructor(readonly child: Deno.ChildProcess, opts: Omit<CaptureOptions, "env" | "cwd">) {
    this.#name = opts.name ?? "process";
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

  /** OS process id (e.g. to send signals the API does not cover). */
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

  /** All output so far (stdout and stderr interleaved by arrival). */
  output(): string {
    return this.#lines.join("\n");
  }

  /** Output lines so far. */
  lines(): string[] {
    return [...this.#lines];
  }

  /** Number of output lines captured so far: pass it as `from` to wait only for new lines. */
  mark(): number {
    return this.#lines.length;
  }

  /**
   * Resolve with the first output line matching `re`, searching lines already captured (from line
   * index `from`, default 0) before waiting. Rejects on timeout (default 10 s) or if the process
   * exits first, quoting the captured output.
   */
  waitForLog(re: RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    const test = (line: string) => {
      re.lastIndex = 0;
      return re.test(line);
    };
    const found = this.#lines.slice(from).find(test);
    if (found !== undefined) return Promise.resolve(found);
    const failure = (why: string) =>
      new Error(
        `${why} waiting for ${re} in ${this.#name} output; last lines:\n${tail(this.output(), 40)}`,
      );
    if (this.#hasExited) return Promise.reject(failure(`The ${this.#name} had exited`));
    return new Promise<string>((resolve, reject) => {
      const waiter = (line: string | null) => {
        if (line === null) {
          done();
          reject(failure(`The ${this.#name} exited`));
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

  /** Send `signal` (default SIGTERM), wait for exit (SIGKILL after 10 s), return the exit code. */
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
    if (result === TIMED_OUT) {
      throw new Error(`The ${this.#name} (pid ${this.pid}) did not exit after SIGKILL`);
    }
    return result.code;
  }
}
