/**
 * Small timing and clean-up helpers shared by the dev/ modules (the e2e harness and the demo).
 *
 * Why: every wait in e2e tests must be bounded, and a bound must not leave a timer behind that
 * keeps Deno (or the test's op sanitizer) waiting after the awaited thing already finished.
 *
 * @module
 */

/** Resolve after `ms`. Only for polling loops; use {@linkcode within} to bound a promise. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sentinel returned by {@linkcode within} when the time ran out. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/** Settle with `p`'s value, or {@linkcode TIMED_OUT} after `ms`; the timer is always cleared. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<typeof TIMED_OUT>((resolve) => {
        timer = setTimeout(() => resolve(TIMED_OUT), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Settle with `p`'s value, or reject with `message` after `ms`; the timer is always cleared. */
export async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  const result = await within(p, ms);
  if (result === TIMED_OUT) throw new Error(message);
  return result;
}

/** Last `n` lines of a text (for error messages that quote a log). */
export function tail(text: string, n: number): string {
  return text.trimEnd().split("\n").slice(-n).join("\n");
}

/** Child processes still running and temp dirs not yet removed, cleaned up on unload. */
const live = new Set<Deno.ChildProcess>();
const dirs = new Set<string>();
globalThis.addEventListener("unload", () => {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }
  if (Deno.env.get("E2E_KEEP_TMP")) return;
  for (const dir of dirs) {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* already gone */ }
  }
});

/** Remove `dir` when the test module ends unless {@linkcode forgetDir} was called first. */
export function removeDirOnUnload(dir: string): void {
  dirs.add(dir);
}

/** The owner removed `dir` (or keeps it on purpose): the unload hook leaves it alone. */
export function forgetDir(dir: string): void {
  dirs.delete(dir);
}

/**
 * Removes a temp dir its owner is done with, or keeps it (saying where) when `E2E_KEEP_TMP` is set
 * for debugging; either way the unload hook forgets it. `what` names the files ("Prosody files").
 */
export async function removeOwnedDir(dir: string, what: string): Promise<void> {
  if (Deno.env.get("E2E_KEEP_TMP")) {
    console.error(`E2E_KEEP_TMP: ${what} kept in ${dir}`);
  } else {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  forgetDir(dir);
}

/**
 * Kill `child` with SIGKILL if it is still running when the test module ends (a test that forgot
 * to dispose, or an uncaught error), so no server or gateway outlives `deno test`.
 */
export function killOnUnload(child: Deno.ChildProcess): void {
  live.add(child);
  child.status.finally(() => live.delete(child));
}
