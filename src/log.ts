/**
 * Logging for the whole program, through @logtape/logtape.
 *
 * One logger per room (xmpp, gateway, messenger, store) under the `messenger-gateway` category, so
 * an admin can tell at a glance which side a line comes from. Lines go to stderr, one per record;
 * under systemd (JOURNAL_STREAM set) they carry a `<N>` syslog priority prefix and no timestamp, so
 * journald files them at the right level. Every line passes through {@link redactSecrets}: known
 * secrets (component secret, passwords, cookie values) are replaced even if some code logs them
 * by mistake.
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

/** Redacted values in registration order, refreshed when registered again (oldest first out). */
const secrets = new Set<string>();
/** Redacted values never evicted (the component secret). */
const permanentSecrets = new Set<string>();
/** The secrets, longest first, so one containing another is replaced whole; null: recompute. */
let longestFirst: string[] | null = [];

/**
 * Registers a value that must never appear in a log line (it is replaced by `***`).
 * Values shorter than 4 characters are ignored: they would redact ordinary words.
 *
 * Cookies rotate for as long as the gateway runs, so the list (walked for every log line) is
 * bounded: when full, the value registered *least recently* is dropped. Whoever still uses a
 * secret registers it again (sessions do at every cookie save), which keeps it; `permanent`
 * values (the component secret) are never dropped.
 */
export function registerSecret(
  value: string | undefined,
  options: { permanent?: boolean } = {},
): void {
  if (value === undefined || value.length < 4) return;
  // Also the form it takes inside a structured value rendered as JSON (quotes, backslashes and
  // control characters escaped).
  const forms = [value, JSON.stringify(value).slice(1, -1)];
  if (options.permanent) {
    for (const form of forms) permanentSecrets.add(form);
  } else if (!permanentSecrets.has(value)) {
    for (const form of forms) {
      secrets.delete(form); // re-registered: now the most recent
      secrets.add(form);
    }
    while (secrets.size > MAX_SECRETS) secrets.delete(secrets.values().next().value!);
  }
  longestFirst = null;
}

/** Secrets kept for redaction at most (raw and JSON-escaped forms count separately). */
export const MAX_SECRETS = 20_000;

/** Replaces every registered secret in `text`. */
export function redactSecrets(text: string): string {
  longestFirst ??= [...new Set([...permanentSecrets, ...secrets])].sort((a, b) =>
    b.length - a.length
  );
  let out = text;
  for (const secret of longestFirst) {
    if (out.includes(secret)) out = out.split(secret).join("***");
  }
  return out;
}

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
  const body = redactSecrets(`${room}: ${message}${extra}`).replace(/\r?\n|\r/g, "\\n");
  if (journald) return `<${SYSLOG_PRIORITY[record.level]}>${body}\n`;
  const time = new Date(record.timestamp).toISOString();
  return `${time} ${record.level.toUpperCase().padEnd(7)} ${body}\n`;
}

function renderValue(value: unknown): string {
  if (typeof value === "string") return value;
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
