/**
 * The error a world file that cannot be read, parsed or validated produces.
 *
 * @module
 */

/** One thing wrong with a world file. */
export interface WorldProblem {
  /** A sentence naming the file (and the key, when there is one), without a final period. */
  message: string;
  /** The key the problem is about, e.g. `account[0].friend[1].id`; absent for file-level problems. */
  key?: string;
}

/**
 * Thrown by `parseWorld` / `loadWorld` with every problem found, so an admin fixes the file in one
 * go. Messages name the file and key and never contain a password, code or cookie value.
 */
export class WorldError extends Error {
  override name = "WorldError";
  /** Path of the world file at fault (as given). */
  readonly file: string;
  /** Every problem found, in file order; `message` is these joined with newlines. */
  readonly problems: readonly WorldProblem[];

  /** Builds the error from at least one problem found in `file`. */
  constructor(file: string, problems: readonly WorldProblem[]) {
    if (problems.length === 0) throw new TypeError("A WorldError needs at least one problem");
    super(problems.map((problem) => problem.message).join("\n"));
    this.file = file;
    this.problems = problems;
  }
}
