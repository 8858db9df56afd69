/**
 * The one error type configuration loading throws.
 *
 * @module
 */

/** One thing wrong with a configuration file; a {@link ConfigError} holds one or more. */
export interface ConfigProblem {
  /** A complete sentence naming the file (and the key, when there is one), without a final period. */
  message: string;
  /** Dotted TOML key the problem is about, e.g. `"component.port"`; absent for file-level problems. */
  key?: string;
}

/**
 * Thrown when a configuration file cannot be read, parsed or validated, so that `main.ts` can
 * print one clean message (every problem, one per line) instead of a stack trace.
 *
 * The message never contains the value of `component.secret`.
 */
export class ConfigError extends Error {
  /** Absolute path of the configuration file at fault. */
  readonly file: string;
  /** Dotted TOML key of the first problem, when that problem is about a key. */
  readonly key?: string;
  /** Every problem found (at least one); `message` is their messages joined with newlines. */
  readonly problems: readonly ConfigProblem[];

  /** Builds the error from at least one problem found in `file`. */
  constructor(file: string, problems: readonly ConfigProblem[]) {
    if (problems.length === 0) {
      throw new TypeError("A ConfigError needs at least one problem");
    }
    super(problems.map((p) => p.message).join("\n"));
    this.name = "ConfigError";
    this.file = file;
    this.problems = problems;
    if (problems[0].key !== undefined) this.key = problems[0].key;
  }
}
