/**
 * Logging for the whole program, through @logtape/logtape.
 *
 * One logger per room (xmpp, gateway, messenger, store) under the `messenger-gateway` category, so
 * an admin can tell at a glance which side a line comes from. Lines go to stderr, one per record;
 * under systemd (JOURNAL_STREAM set) they carry a `<N>` syslog priority prefix and no timestamp, so
 * journald files them at the right level. Secrets never reach a line: they travel as
 * {@link Secret} values, which print `***` (secret.ts) — there is no global list of strings
 * replaced in every line, which users could fill with words they want hidden from the admin.
 *
 * @module
 */

import {
  configureSync,
  getLogger,
  type LogLevel,
  type LogRecord,
  resetSync,
  type Sink,
} from "@logtape/logtape";
import { Secret } from "./secret.ts";

const ROOT = "messenger-gateway";

/** Logger of the XMPP side (stanzas, the component connection). */
export const xmppLog = getLogger([ROOT, "xmpp"]);
/** Logger of the gateway core (users, sessions, routing between sides). */
export const gatewayLog = getLogger([ROOT, "gateway"]);
/** Logger of the Messenger side (adapters, the simulated network). */
export const messengerLog = getLogger([ROOT, "messenger"]);
/** Logger of the store (Deno KV). */
export const storeLog = getLogger([ROOT, "store"]);
/** Logger of the program's start and stop. */
export const mainLog = getLogger([ROOT, "main"]);

const SYSLOG_PRIORITY: Record<LogLevel, number> = {
  trace: 7,
  debug: 7,
  info: 6,
  warning: 4,
  error: 3,
  fatal: 2,
};

/** Formats one record as a single line (no newlines inside, so journald keeps it whole). */
export function formatRecord(record: LogRecord, journald: boolean): string {
  let message = "";
  for (let i = 0; i < record.message.length; i++) {
    const part = record.message[i];
    message += i % 2 === 0 ? String(part) : renderValue(part);
  }
  const extra = Object.entries(record.properties)
    .filter(([key]) => !record.rawMessage.toString().includes(`{${key}}`))
    .map(([key, value]) => ` ${key}=${renderValue(value)}`)
    .join("");
  const room = record.category.slice(1).join(".") || "main";
  const body = `${room}: ${message}${extra}`.replace(/\r?\n|\r/g, "\\n");
  if (journald) return `<${SYSLOG_PRIORITY[record.level]}>${body}\n`;
  const time = new Date(record.timestamp).toISOString();
  return `${time} ${record.level.toUpperCase().padEnd(7)} ${body}\n`;
}

function renderValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Secret) return String(value);
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function stderrSink(journald: boolean): Sink {
  const encoder = new TextEncoder();
  return (record) => {
    const bytes = encoder.encode(formatRecord(record, journald));
    try {
      let written = 0;
      while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
    } catch {
      // stderr closed: nothing sensible left to do with a log line.
    }
  };
}

/** Installs (or re-installs, e.g. after an admin changes the level) the logging configuration. */
export function configureLogging(level: LogLevel, options: { sink?: Sink } = {}): void {
  resetSync();
  const journald = (Deno.env.get("JOURNAL_STREAM") ?? "") !== "";
  configureSync({
    sinks: { main: options.sink ?? stderrSink(journald) },
    loggers: [
      { category: [ROOT], lowestLevel: level, sinks: ["main"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["main"] },
    ],
  });
}
