/**
 * Exponential backoff with jitter, for reconnecting to Messenger's edge.
 *
 * Many accounts reconnecting in lock-step after an outage would hammer Facebook (and look like
 * abuse): each delay is the exponential step scaled by a random factor in [1 - jitter, 1].
 *
 * @module
 */

/** How delays grow. */
export interface BackoffPolicy {
  /** First delay (ms). */
  initialMs: number;
  /** Upper bound (ms). */
  maxMs: number;
  /** Growth per attempt. */
  factor: number;
  /** Fraction of each delay that is random, 0 (none) to 1 (full jitter). */
  jitter: number;
}

/** Reasonable defaults: 2 s, doubling, at most 5 minutes, half of each delay random. */
export const DEFAULT_BACKOFF: BackoffPolicy = {
  initialMs: 2_000,
  maxMs: 300_000,
  factor: 2,
  jitter: 0.5,
};

/** The delay before retry number `attempt` (0-based), given a random number in [0, 1). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: number): number {
  const step = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.factor, attempt));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  return Math.round(step * (1 - jitter * random));
}
