/**
 * Where the dev/ tools find the project and keep what outlives a run: the repository root, and
 * the ignored state folder (`.state/`) for logs a user may want to read after the tool stopped.
 * Nothing else outside a temp folder is written by them.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (one level up from dev/), where `main.ts` and `deno.json` live. */
export const REPO_ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/** The project's ignored state folder (see .gitignore). */
export const STATE_DIR: string = join(REPO_ROOT, ".state");

/** A path in the state folder, shown relative to the repository root (for messages). */
export function statePath(name: string): { path: string; shown: string } {
  return { path: join(STATE_DIR, name), shown: `.state/${name}` };
}
