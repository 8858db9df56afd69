/**
 * Every time limit of the fca adapter in one place, with production defaults.
 *
 * fca itself waits up to 60 s per HTTP request and 120 s on a stalled TLS peer, and some of its
 * calls never settle; these bounds are what the gateway can rely on instead. Tests shrink them.
 *
 * @module
 */

import { type BackoffPolicy, DEFAULT_BACKOFF } from "./backoff.ts";

/** Time limits and retry policy of the fca adapter. */
export interface FcaTimings {
  /** One login step (cookies, password, or a 2FA code). */
  loginTimeoutMs: number;
  /** Any other call into fca. */
  callTimeoutMs: number;
  /** A listener neither ready nor heard from for this long is restarted (> MQTT keepalive). */
  stallTimeoutMs: number;
  /** How long a login may wait for its two-factor code before its place in a Worker is freed. */
  twoFactorTimeoutMs: number;
  /** At most one automatic re-login from saved cookies per this period; then bad_credentials. */
  reloginCooldownMs: number;
  /** Listener reconnection delays. */
  backoff: BackoffPolicy;
  /** How many recent message ids are remembered to drop duplicates. */
  dedupeCapacity: number;
  /**
   * The request tokens (fb_dtsg, LSD) are fetched again about this often (±15 % at random, so
   * accounts do not refresh in step), as current web clients do.
   */
  tokenRefreshMs: number;
}

/** Production defaults. */
export const DEFAULT_FCA_TIMINGS: FcaTimings = {
  loginTimeoutMs: 90_000,
  callTimeoutMs: 45_000,
  stallTimeoutMs: 45_000,
  twoFactorTimeoutMs: 600_000,
  reloginCooldownMs: 3_600_000,
  backoff: DEFAULT_BACKOFF,
  dedupeCapacity: 2_000,
  tokenRefreshMs: 2 * 3_600_000,
};

/** How far one token refresh may land from {@link FcaTimings.tokenRefreshMs}, as a fraction. */
export const TOKEN_REFRESH_JITTER = 0.15;
