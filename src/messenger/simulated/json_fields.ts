/**
 * Strict readers for the control API's JSON bodies: each wrong field becomes a `bad_request`
 * MessengerError naming the field (the HTTP layer answers 400 with it), and unknown fields are
 * refused so that a typo in a test does not silently do nothing.
 *
 * @module
 */

import { MessengerError } from "../errors.ts";

/** A JSON object being read, with the path used in messages (e.g. `events[2].attachments[0]`). */
export class JsonFields {
  constructor(readonly value: Record<string, unknown>, readonly path: string) {}

  /** Reads `value` as an object, or throws naming `path`. */
  static of(value: unknown, path: string): JsonFields {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw invalid(path, "must be a JSON object");
    }
    return new JsonFields(value as Record<string, unknown>, path);
  }

  /** Refuses fields not in `allowed`. */
  only(allowed: readonly string[]): this {
    for (const key of Object.keys(this.value)) {
      if (!allowed.includes(key)) {
        throw invalid(
          this.#at(key),
          `is not a known field (expected one of ${allowed.join(", ")})`,
        );
      }
    }
    return this;
  }

  /** A string field; `undefined` when absent and optional. */
  string(key: string, required: true): string;
  string(key: string, required?: false): string | undefined;
  string(key: string, required = false): string | undefined {
    const value = this.value[key];
    if (value === undefined) return this.#missing(key, required);
    if (typeof value !== "string") throw invalid(this.#at(key), "must be a string");
    return value;
  }

  /** A numeric id given as a string (or a safe integer). */
  id(key: string, required: true): string;
  id(key: string, required?: false): string | undefined;
  id(key: string, required = false): string | undefined {
    const value = this.value[key];
    if (value === undefined) return this.#missing(key, required);
    return idValue(value, this.#at(key));
  }

  /** A finite number field. */
  number(key: string, required: true): number;
  number(key: string, required?: false): number | undefined;
  number(key: string, required = false): number | undefined {
    const value = this.value[key];
    if (value === undefined) return this.#missing(key, required);
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw invalid(this.#at(key), "must be a number");
    }
    return value;
  }

  /** A non-negative integer field. */
  count(key: string): number | undefined {
    const value = this.number(key);
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw invalid(this.#at(key), "must be a non-negative integer");
    }
    return value;
  }

  /** A boolean field. */
  boolean(key: string, required: true): boolean;
  boolean(key: string, required?: false): boolean | undefined;
  boolean(key: string, required = false): boolean | undefined {
    const value = this.value[key];
    if (value === undefined) return this.#missing(key, required);
    if (typeof value !== "boolean") throw invalid(this.#at(key), "must be true or false");
    return value;
  }

  /** One of a fixed set of strings. */
  oneOf<T extends string>(key: string, choices: readonly T[], required: true): T;
  oneOf<T extends string>(key: string, choices: readonly T[], required?: false): T | undefined;
  oneOf<T extends string>(key: string, choices: readonly T[], required = false): T | undefined {
    const value = this.value[key];
    if (value === undefined) return this.#missing(key, required);
    if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
      throw invalid(this.#at(key), `must be one of ${choices.join(", ")}`);
    }
    return value as T;
  }

  /** An array field, each element read by `read`. */
  array<T>(key: string, read: (value: unknown, path: string) => T): T[] | undefined {
    const value = this.value[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw invalid(this.#at(key), "must be an array");
    return value.map((entry, index) => read(entry, `${this.#at(key)}[${index}]`));
  }

  #missing(key: string, required: boolean): undefined {
    if (required) throw invalid(this.#at(key), "is missing");
    return undefined;
  }

  #at(key: string): string {
    return this.path === "" ? key : `${this.path}.${key}`;
  }
}

/** Reads a numeric id given as a string or a safe integer. */
export function idValue(value: unknown, path: string): string {
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === "string" && /^[0-9]{1,20}$/.test(value)) return value;
  throw invalid(path, `must be a numeric id such as "100001"`);
}

/** The `bad_request` error for a wrong field. */
export function invalid(path: string, text: string): MessengerError {
  return new MessengerError("bad_request", `${path === "" ? "The body" : path} ${text}`);
}
