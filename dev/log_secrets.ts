/**
 * "No secret in any log line of the whole suite" (issue 12): every gateway process the e2e tests
 * start writes its output lines, and the secrets it was given (component secret, passwords,
 * two-factor codes, cookie values, the store key), to a folder of the test run; after the tests,
 * {@link scanLogs} looks for every secret of each process in its lines.
 *
 * Recording is on when `E2E_LOG_DIR` names the run's folder (`dev/test_suite.ts` sets it for
 * `deno task test`); a targeted `deno test` records nothing.
 *
 * @module
 */

import { join } from "node:path";

/** The environment variable naming the run's folder. */
export const LOG_DIR_ENV = "E2E_LOG_DIR";

/** Shorter values cannot be told from ordinary words in a log ("abc"); they are reported. */
export const MIN_SECRET_LENGTH = 6;

/** A secret and what it is (named in a leak report, never the value). */
export interface NamedSecret {
  what: string;
  value: string;
}

/** Where one process's lines go; `line` appends, `close` ends. */
export interface LogRecording {
  line(text: string): void;
  close(): void;
}

/**
 * Starts recording one process's output into the run's folder (`dir`, by default the one
 * `E2E_LOG_DIR` names), with its secrets beside it; undefined when there is no run folder.
 */
export function recordLog(
  name: string,
  secrets: NamedSecret[],
  dir: string | undefined = Deno.env.get(LOG_DIR_ENV),
): LogRecording | undefined {
  if (!dir) return undefined;
  Deno.mkdirSync(dir, { recursive: true });
  const base = join(dir, `${name}-${Date.now()}-${crypto.randomUUID().slice(0, 8)}`);
  Deno.writeTextFileSync(`${base}.secrets.json`, JSON.stringify(secrets));
  const file = Deno.openSync(`${base}.log`, { create: true, append: true });
  const encoder = new TextEncoder();
  let open = true;
  return {
    line(text) {
      if (!open) return;
      const bytes = encoder.encode(`${text}\n`);
      let written = 0;
      while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
    },
    close() {
      if (!open) return;
      open = false;
      file.close();
    },
  };
}

/** What {@link scanLogs} found. */
export interface ScanResult {
  files: number;
  lines: number;
  secrets: number;
  /** Secrets too short to look for. */
  tooShort: string[];
  /** `file: what` for every line holding a secret (the value itself is never printed). */
  leaks: string[];
}

/** Looks for each recorded process's secrets in its own lines (and in every other's). */
export async function scanLogs(dir: string): Promise<ScanResult> {
  const result: ScanResult = { files: 0, lines: 0, secrets: 0, tooShort: [], leaks: [] };
  let names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return result;
    throw error;
  }
  names = names.sort();
  const secrets = new Map<string, string>();
  for (const name of names.filter((n) => n.endsWith(".secrets.json"))) {
    const list: NamedSecret[] = JSON.parse(await Deno.readTextFile(join(dir, name)));
    for (const { what, value } of list) {
      if (value.length < MIN_SECRET_LENGTH) result.tooShort.push(what);
      else secrets.set(value, what);
    }
  }
  result.secrets = secrets.size;
  for (const name of names.filter((n) => n.endsWith(".log"))) {
    result.files++;
    const text = await Deno.readTextFile(join(dir, name));
    const lines = text.split("\n");
    result.lines += lines.length - (text.endsWith("\n") ? 1 : 0);
    for (const [value, what] of secrets) {
      if (!text.includes(value)) continue;
      const count = lines.filter((line) => line.includes(value)).length;
      result.leaks.push(`${name}: ${what} (${count} lines)`);
    }
  }
  result.tooShort = [...new Set(result.tooShort)];
  return result;
}
