/**
 * Polling for unit tests that watch state change asynchronously.
 *
 * Why one shared helper with a generous bound: CI machines are shared and noisy, so a bound only
 * decides how long a *failing* test takes to report; a tight one turns load into false failures.
 *
 * @module
 */

/** Waits until `predicate` holds, polling every 5 ms; throws naming `what` after `ms` (10 s). */
export async function waitUntil(
  predicate: () => boolean,
  what = "the condition",
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
