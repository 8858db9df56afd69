/**
 * What the gateway's commands need from the running program, passed in once by the composition
 * root (`src/app.ts`), so each command file depends on this one interface and tests can build it
 * around an in-memory store and the simulated network.
 *
 * @module
 */

import type { LogLevel } from "../../config/config.ts";
import type { ThreadId, UserId } from "../../messenger/ids.ts";
import { contactJidOf } from "../contact_ids.ts";
import type { Gateway } from "../gateway.ts";
import type { MessageRequests } from "../message_requests.ts";
import type { Rooms } from "../rooms.ts";

/** Reads and changes the log level while the gateway runs (the log-level command). */
export interface LogLevelControl {
  current(): LogLevel;
  set(level: LogLevel): void;
}

/** The running gateway, as commands see it. */
export interface CommandContext {
  gateway: Gateway;
  /** The store (preferences, the user list with registration dates). */
  kv: Deno.Kv;
  /** The component's domain: contact and room JIDs are `<messenger id>@<domain>`. */
  domain: string;
  /** Program name and release, shown by `info`. */
  software: { name: string; version: string };
  logLevel: LogLevelControl;
  /** Pending message requests seen arriving (the `message-requests` command lists them). */
  messageRequests: MessageRequests;
  /** The user's groups as rooms (listing, creating, leaving). */
  rooms: Rooms;
  /** Resident memory in bytes, for `statistics`; default `Deno.memoryUsage().rss`. */
  memoryBytes?: () => number;
  /** The clock (ms since the epoch); default `Date.now`. */
  now?: () => number;
}

/** The JID of a Messenger user or group thread under the gateway. */
export function contactJid(ctx: Pick<CommandContext, "domain">, id: UserId | ThreadId): string {
  return contactJidOf(id, ctx.domain);
}
