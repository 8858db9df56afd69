/**
 * The machinery behind the configuration schema: what one key's description looks like and small
 * builders (`text`, `integer`, `choice`, `list`) so that each key in `schema.ts` is one entry.
 *
 * @module
 */

import type { Config } from "./config.ts";

/** The `Config` fields that come from TOML tables (everything but `file`). */
type Sections = Omit<Config, "file">;

/** Names of the TOML tables, in their camelCase `Config` spelling. */
export type SectionName = keyof Sections;

/** The typed value of one table, e.g. `SectionType<"component">` is `ComponentConfig`. */
export type SectionType<S extends SectionName> = NonNullable<Sections[S]>;

/** What a key's reader and default may look at besides the raw value. */
export interface KeyContext {
  /** Absolute path of the configuration file. */
  readonly file: string;
  /** Folder of `file`; relative paths in the file are resolved against it. */
  readonly dir: string;
  /** The environment the configuration is loaded in. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * A value resolved earlier (tables and keys are resolved in schema order), or `undefined` when
   * it is absent or was invalid.
   */
  get<S extends SectionName, K extends keyof SectionType<S>>(
    section: S,
    key: K,
  ): SectionType<S>[K] | undefined;
}

/**
 * A reader's verdict that a value is unacceptable. Each phrase continues the sentence
 * `"<key>" in <file> …`, e.g. `must be an integer from 1 to 65535, got "abc"`.
 */
export class Invalid {
  /** One phrase per thing wrong with the value. */
  readonly phrases: readonly string[];
  /** Wraps one or more phrases. */
  constructor(...phrases: string[]) {
    this.phrases = phrases;
  }
}

/** Everything the loader needs to know about one key; build these with the helpers below. */
export interface KeySpec<T> {
  /** What the key is for; one or two sentences, shown in docs and `config.example.toml`. */
  readonly doc: string;
  /** Turns the raw TOML value (or the environment's string) into the typed value. */
  readonly read: (raw: unknown, ctx: KeyContext) => T | Invalid;
  /** The value when the key is absent; absent itself for keys without a default. */
  readonly default?: (ctx: KeyContext) => T;
  /** Whether an absent key (with no default) is an error; true by default for keys without a default. */
  readonly required?: (ctx: KeyContext) => boolean;
  /** An environment variable that, when set and non-empty, overrides the file. */
  readonly env?: string;
  /** The value must never be shown in messages (passwords, shared secrets). */
  readonly secret?: boolean;
}

/** Options every builder accepts. */
export interface CommonOptions<T> {
  /** See {@link KeySpec.doc}. */
  doc: string;
  /** A fixed default, or one computed from keys resolved earlier. */
  default?: T | ((ctx: KeyContext) => T);
  /** `false` for optional keys without a default; a function for conditionally required keys. */
  required?: boolean | ((ctx: KeyContext) => boolean);
  /** See {@link KeySpec.env}. */
  env?: string;
  /** See {@link KeySpec.secret}. */
  secret?: boolean;
}

function common<T>(o: CommonOptions<T>, read: KeySpec<T>["read"]): KeySpec<T> {
  const spec: {
    -readonly [K in keyof KeySpec<T>]: KeySpec<T>[K];
  } = { doc: o.doc, read };
  const d = o.default;
  if (d !== undefined) {
    spec.default = typeof d === "function" ? (d as (ctx: KeyContext) => T) : () => d;
  }
  const r = o.required;
  if (r !== undefined) spec.required = typeof r === "function" ? r : () => r;
  if (o.env !== undefined) spec.env = o.env;
  if (o.secret) spec.secret = true;
  return spec;
}

/** The TOML type of a raw value, with an article: "a string", "an integer", "a table"… */
export function typeName(raw: unknown): string {
  if (typeof raw === "string") return "a string";
  if (typeof raw === "bigint") return "an integer";
  if (typeof raw === "number") return Number.isInteger(raw) ? "an integer" : "a float";
  if (typeof raw === "boolean") return "a boolean";
  if (raw instanceof Date) return "a date";
  if (Array.isArray(raw)) return "an array";
  return "a table";
}

/**
 * How a raw value is shown after "got": short scalars verbatim (strings quoted), anything else by
 * its type. With `secret`, only ever the type.
 */
export function describe(raw: unknown, secret = false): string {
  if (secret) return typeName(raw);
  if (typeof raw === "string") {
    const short = raw.length > 60 ? `${raw.slice(0, 57)}…` : raw;
    return JSON.stringify(short);
  }
  if (typeof raw === "bigint" || typeof raw === "boolean") return String(raw);
  if (typeof raw === "number") {
    if (Number.isNaN(raw)) return "nan";
    if (!Number.isFinite(raw)) return raw > 0 ? "inf" : "-inf";
    return Number.isInteger(raw) ? `${raw}.0` : String(raw);
  }
  return typeName(raw);
}

/** The usual verdict: `must be <expect>, got <value>`, plus `: <detail>` when there is one. */
export function mustBe(expect: string, raw: unknown, secret = false, detail?: string): Invalid {
  const got = `must be ${expect}, got ${describe(raw, secret)}`;
  return new Invalid(detail === undefined ? got : `${got}: ${detail}`);
}

/** A mapper's verdict that a string is unacceptable, with an optional explanation. */
export class Rejection {
  /** Shown after a colon, e.g. the regex engine's reason. */
  readonly detail?: string;
  /** Wraps an optional explanation. */
  constructor(detail?: string) {
    if (detail !== undefined) this.detail = detail;
  }
}

/** Shorthand for `new Rejection(detail)`, for use in mappers. */
export function reject(detail?: string): Rejection {
  return new Rejection(detail);
}

/** A string key. `map` checks and converts the string, or returns `reject(…)` to refuse it. */
export function text<T>(
  o: CommonOptions<T> & {
    /** What the value must be, after "must be", e.g. `a domain name such as "example.org"`. */
    expect: string;
    map: (s: string, ctx: KeyContext) => T | Rejection;
  },
): KeySpec<T> {
  return common(o, (raw, ctx) => {
    if (typeof raw !== "string") return mustBe(o.expect, raw, o.secret);
    const out = o.map(raw, ctx);
    if (out instanceof Rejection) return mustBe(o.expect, raw, o.secret, out.detail);
    return out;
  });
}

/** An integer key within `min..max`; floats such as `5347.0` are refused. */
export function integer(
  o: CommonOptions<number> & { min: number; max: number },
): KeySpec<number> {
  const expect = `an integer from ${o.min} to ${o.max}`;
  return common(o, (raw) => {
    if (typeof raw === "bigint" && raw >= BigInt(o.min) && raw <= BigInt(o.max)) {
      return Number(raw);
    }
    return mustBe(expect, raw, o.secret);
  });
}

/** A true/false key. */
export function flag(o: CommonOptions<boolean>): KeySpec<boolean> {
  return common(
    o,
    (raw) => typeof raw === "boolean" ? raw : mustBe("true or false", raw, o.secret),
  );
}

/** A string key that must be one of a few words, e.g. a log level. */
export function choice<T extends string>(
  o: CommonOptions<T> & { values: readonly T[] },
): KeySpec<T> {
  const expect = `one of ${o.values.map((v) => JSON.stringify(v)).join(", ")}`;
  return common(o, (raw) => {
    if (typeof raw === "string" && (o.values as readonly string[]).includes(raw)) {
      return raw as T;
    }
    return mustBe(expect, raw, o.secret);
  });
}

/**
 * An array-of-strings key. `item` checks and converts one element, or returns `reject(…)` to
 * refuse it. Every bad element is reported.
 */
export function list<T>(
  o: CommonOptions<T[]> & {
    /** What the whole value must be, e.g. `a list of bare JIDs such as ["admin@example.org"]`. */
    expect: string;
    item: (s: string, ctx: KeyContext) => T | Rejection;
  },
): KeySpec<T[]> {
  return common(o, (raw, ctx) => {
    if (!Array.isArray(raw)) return mustBe(o.expect, raw, o.secret);
    const out: T[] = [];
    const phrases: string[] = [];
    raw.forEach((element: unknown, i) => {
      const where = `must be ${o.expect}: item ${i + 1}`;
      if (typeof element !== "string") {
        phrases.push(`${where} is ${describe(element, o.secret)}`);
        return;
      }
      const v = o.item(element, ctx);
      if (!(v instanceof Rejection)) out.push(v);
      else {
        const shown = o.secret ? "" : ` ${describe(element)}`;
        const why = v.detail === undefined ? "" : `: ${v.detail}`;
        phrases.push(`${where}${shown} is not valid${why}`);
      }
    });
    return phrases.length > 0 ? new Invalid(...phrases) : out;
  });
}

/** `allowedJids` → `allowed_jids`: how a `Config` field is spelled in TOML. */
export function tomlName(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
