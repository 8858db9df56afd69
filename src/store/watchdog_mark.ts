/**
 * Where the content watchdog's last check of a user's conversations ended.
 *
 * Why stored: Messenger does not push what arrived while the gateway was down (a restart, a
 * crash, a kill -9); the watchdog's next window starting where the last one ended is what finds
 * those messages after a restart and delivers them. Lives under the user's prefix: unregistering
 * deletes it.
 *
 * @module
 */

import { watchdogMarkKey } from "./keys.ts";

/** Remembers how far the user's conversations were checked (ms since the epoch). */
export async function putWatchdogMark(kv: Deno.Kv, bareJid: string, at: number): Promise<void> {
  await kv.set(watchdogMarkKey(bareJid), at);
}

/** How far the user's conversations were checked, if ever. */
export async function getWatchdogMark(kv: Deno.Kv, bareJid: string): Promise<number | undefined> {
  const value = (await kv.get<number>(watchdogMarkKey(bareJid))).value;
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
