/**
 * Reads, parses and validates the gateway's TOML configuration file.
 *
 * The work is driven by {@link SCHEMA}: this module only walks it, so it needs no change when keys
 * are added.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import type { Config } from "./config.ts";
import { ConfigError, type ConfigProblem } from "./config_error.ts";
import { schemaKeys } from "./schema.ts";
import { SCHEMA } from "./schema.ts";
import {
  describe,
  Invalid,
  type KeyContext,
  type KeySpec,
  type SectionName,
  type SectionType,
  tomlName,
} from "./spec.ts";

/**
 * Reads the configuration file at `path` and returns the validated configuration.
 *
 * `env` (by default the process environment) supplies overrides such as
 * `MESSENGER_GATEWAY_SECRET`. Throws a {@link ConfigError} listing every problem found.
 */
export async function loadConfig(
  path: string,
  env?: Readonly<Record<string, string | undefined>>,
): Promise<Config> {
  const file = resolve(path);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new ConfigError(file, [{
      message: `Cannot read config file ${file}: ${readFailure(e)}`,
    }]);
  }
  return parseConfig(text, file, env);
}

/**
 * Parses and validates configuration text as if read from `file` (which names the file in
 * messages and anchors relative paths). Throws a {@link ConfigError} listing every problem found.
 */
export function parseConfig(
  text: string,
  file: string,
  env: Readonly<Record<string, string | undefined>> = Deno.env.toObject(),
): Config {
  const abs = resolve(file);
  let doc: Record<string, unknown>;
  const toml = text.replace(/^\uFEFF/, "");
  try {
    doc = parse(toml, { integersAsBigInt: true, unsafeKeyBehaviour: "throw" });
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    throw new ConfigError(abs, [{
      message: `Invalid TOML in ${abs} at ${syntaxProblem(toml, e)}`,
    }]);
  }
  return validate(doc, abs, env);
}

/**
 * Where and what a TOML syntax error is, in words an admin recognises. smol-toml calls a string
 * that runs into the end of its line "control characters are not allowed" (the newline): that is
 * a missing closing quote. Only smol-toml's first line is kept: it appends a snippet of the file,
 * which could show the secret.
 */
function syntaxProblem(toml: string, e: TomlError): string {
  const reason = e.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
  const at = (toml.split("\n")[e.line - 1] ?? "").slice(e.column - 1);
  const endOfLine = at === "" || at.startsWith("\r");
  if (reason.startsWith("control characters") && endOfLine) return unterminated(e.line);
  if (reason === "unfinished string") {
    return /^("""|''')/.test(at)
      ? `line ${e.line}: a multi-line string has no closing quotes`
      : unterminated(e.line);
  }
  return `line ${e.line}, column ${e.column}: ${reason}`;
}

function unterminated(line: number): string {
  return `line ${line}: a string has no closing quote ` +
    "(a quoted string must end on the line where it starts)";
}

function readFailure(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file";
  if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) {
    return "permission denied";
  }
  if (e instanceof Deno.errors.IsADirectory) return "it is a directory";
  return e instanceof Error ? e.message : String(e);
}

function isTable(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function validate(
  doc: Record<string, unknown>,
  file: string,
  env: Readonly<Record<string, string | undefined>>,
): Config {
  const problems: ConfigProblem[] = [];
  const secrets: string[] = [];
  const resolved = new Map<SectionName, Record<string, unknown>>();
  const ctx: KeyContext = {
    file,
    dir: dirname(file),
    env,
    get<S extends SectionName, K extends keyof SectionType<S>>(section: S, key: K) {
      // Values are stored under their field names exactly as the schema typed them.
      return resolved.get(section)?.[key as string] as SectionType<S>[K] | undefined;
    },
  };
  const sections = Object.keys(SCHEMA) as SectionName[];
  const allNames = schemaKeys().map((k) => k.name);

  for (const name of Object.keys(doc)) {
    if (sections.some((s) => tomlName(s) === name)) continue;
    const kind = isTable(doc[name]) ? "table" : "key";
    problems.push(unknown(kind, name, file, [...sections.map(tomlName), ...allNames]));
  }

  for (const section of sections) {
    const spec = SCHEMA[section];
    const table = tomlName(section);
    const out: Record<string, unknown> = {};
    resolved.set(section, out);
    const raw = doc[table] ?? {};
    if (!isTable(raw)) {
      problems.push({
        key: table,
        message: `"${table}" in ${file} must be a table, got ${describe(raw)}`,
      });
      continue;
    }
    const keys: Record<string, KeySpec<unknown>> = spec.keys;
    const known = new Set<string>();
    for (const [field, keySpec] of Object.entries(keys)) {
      const key = tomlName(field);
      known.add(key);
      const value = resolveKey(keySpec, `${table}.${key}`, raw[key], ctx, problems, secrets);
      if (value !== undefined) out[field] = value;
    }
    for (const key of Object.keys(raw)) {
      if (!known.has(key)) {
        const kind = isTable(raw[key]) ? "table" : "key";
        problems.push(unknown(kind, `${table}.${key}`, file, allNames));
      }
    }
  }

  if (problems.length > 0) throw new ConfigError(file, redact(problems, secrets));

  const config: Record<string, unknown> = { file };
  for (const section of sections) {
    if (SCHEMA[section].include?.(ctx) ?? true) config[section] = resolved.get(section);
  }
  // Every field has a schema entry (Schema is derived from Config) and no problem was found, so
  // every required field is set with the type its KeySpec promises.
  return config as unknown as Config;
}

/** Resolves one key from the environment, the file or its default; records problems. */
function resolveKey(
  spec: KeySpec<unknown>,
  name: string,
  raw: unknown,
  ctx: KeyContext,
  problems: ConfigProblem[],
  secrets: string[],
): unknown {
  const fromEnv = spec.env === undefined ? undefined : ctx.env[spec.env];
  if (spec.secret) {
    if (typeof raw === "string") secrets.push(raw);
    if (fromEnv) secrets.push(fromEnv);
  }

  let value: unknown;
  if (raw !== undefined) {
    // Checked even when the environment overrides it, so a broken file never goes unnoticed.
    const v = spec.read(raw, ctx);
    if (v instanceof Invalid) {
      for (const p of v.phrases) {
        problems.push({ key: name, message: `"${name}" in ${ctx.file} ${p}` });
      }
    } else value = v;
  }
  if (fromEnv) {
    const v = spec.read(fromEnv, ctx);
    if (v instanceof Invalid) {
      for (const p of v.phrases) {
        problems.push({
          key: name,
          message: `${spec.env} in the environment (overriding "${name}" in ${ctx.file}) ${p}`,
        });
      }
      return undefined;
    }
    return v;
  }
  if (raw !== undefined) return value;
  if (spec.default !== undefined) return spec.default(ctx);
  if (spec.required?.(ctx) ?? true) {
    const hint = spec.env === undefined ? "" : ` (or set ${spec.env} in the environment)`;
    problems.push({ key: name, message: `Missing required key "${name}" in ${ctx.file}${hint}` });
  }
  return undefined;
}

function unknown(
  kind: "table" | "key",
  name: string,
  file: string,
  candidates: readonly string[],
): ConfigProblem {
  const guess = closest(name, candidates);
  const hint = guess === undefined ? "" : ` (did you mean "${guess}"?)`;
  return { key: name, message: `Unknown ${kind} "${name}" in ${file}${hint}` };
}

/**
 * The candidate most like `name`, if any is close enough: same spelling up to case, `-` and `_`;
 * or a small edit distance; or the same last part in another table (`gateway.port` →
 * `component.port`). Ties go to candidates in the same table, then to schema order.
 */
function closest(name: string, candidates: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  const last = (s: string) => s.slice(s.lastIndexOf(".") + 1);
  const table = (s: string) => s.slice(0, Math.max(0, s.lastIndexOf(".")));
  const limit = Math.max(1, Math.floor(last(name).length / 3));
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    if (c === name) continue;
    let score: number;
    if (norm(c) === norm(name)) score = 0;
    else if (table(c) === table(name)) score = editDistance(last(name), last(c));
    else if (norm(last(c)) === norm(last(name))) score = 1;
    else score = editDistance(name, c);
    // Prefer the same table on ties.
    const adjusted = score + (table(c) === table(name) ? 0 : 0.5);
    if (score <= limit && adjusted < bestScore) {
      best = c;
      bestScore = adjusted;
    }
  }
  return best;
}

/** Optimal-string-alignment distance: insertions, deletions, substitutions, transpositions. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
  for (let i = 0; i <= a.length; i++) d[i][0] = i;
  for (let j = 0; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * A last line of defence: no message may contain a secret, even one pasted into the wrong key.
 * Very short secrets are left alone, as replacing them would garble the messages.
 */
function redact(problems: ConfigProblem[], secrets: readonly string[]): ConfigProblem[] {
  const long = secrets.filter((s) => s.length >= 6);
  return problems.map((p) => {
    let message = p.message;
    for (const s of long) message = message.split(s).join("[secret]");
    return { ...p, message };
  });
}
