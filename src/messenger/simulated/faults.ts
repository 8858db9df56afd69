/**
 * Fault injection: making the simulated network misbehave on purpose, so gateway tests can cover
 * "Messenger refused", "Messenger is slow", "Messenger never answered" and "Messenger briefly
 * disconnected" without a real outage.
 *
 * Call faults (`fail`, `latency`, `hang`) wait in a per-account plan and hit the next matching
 * calls; connection faults (`drop_connection`, `expire_session`, `silent`) act at once on the
 * account's sessions.
 *
 * @module
 */

import type { MessengerErrorCode } from "../errors.ts";
import { invalid, JsonFields } from "./json_fields.ts";
import type { OperationMethod } from "./operations.ts";
import { ALL_CAPABILITIES } from "../session.ts";

/** Methods a call fault can target (`disconnect` never fails). */
export type FaultableMethod = Exclude<OperationMethod, "disconnect">;

/** A method name, or `"*"` for every method. */
export type FaultTarget = FaultableMethod | "*";

/** Something to go wrong, as given to the control API. */
export type Fault =
  /** The next `times` (default 1) matching calls reject with a MessengerError of `code`. */
  | {
    kind: "fail";
    method: FaultTarget;
    code: MessengerErrorCode;
    times?: number;
    message?: string;
  }
  /** Matching calls wait `ms` first; for the next `times` calls, or until cleared when absent. */
  | { kind: "latency"; method: FaultTarget; ms: number; times?: number }
  /** The next `times` (default 1) matching calls never answer: they reject with `timeout` after
   * the network's `callTimeoutMs`. */
  | { kind: "hang"; method: FaultTarget; times?: number }
  /** Listening sessions go `transient_disconnect` and come back `connected` after `downMs`
   * (default 0: the next macrotask). Calls meanwhile reject with `network`; events meanwhile are
   * delivered after the reconnection, or lost with `loseEvents`. */
  | { kind: "drop_connection"; downMs?: number; loseEvents?: boolean }
  /** Sessions go `bad_credentials` (reason `session_expired`); calls reject with
   * `not_logged_in` from then on. */
  | { kind: "expire_session" }
  /** Listening sessions stay `connected` and calls keep working, but no event reaches them (they
   * are lost, as with a listener that died silently; the messages stay in the threads' history)
   * until `restartListener` or a reconnection. */
  | { kind: "silent" };

/** A call fault still waiting in the plan. */
export type PendingFault = Extract<Fault, { kind: "fail" | "latency" | "hang" }> & {
  /** Matching calls it will still affect (`null`: until cleared). */
  remaining: number | null;
};

/** What the plan decided for one call. */
export interface CallFaults {
  latencyMs: number;
  hang: boolean;
  fail?: { code: MessengerErrorCode; message: string };
}

/** The pending call faults of one account. */
export class FaultPlan {
  #pending: PendingFault[] = [];

  /** Queues a call fault. */
  add(fault: Extract<Fault, { kind: "fail" | "latency" | "hang" }>): void {
    const remaining = fault.kind === "latency" && fault.times === undefined
      ? null
      : fault.times ?? 1;
    this.#pending.push({ ...fault, remaining });
  }

  /** The faults still pending. */
  list(): PendingFault[] {
    return this.#pending.map((fault) => ({ ...fault }));
  }

  /** Forgets every pending fault. */
  clear(): void {
    this.#pending = [];
  }

  /** Consumes what applies to one call of `method`: all latencies add up, one hang, one failure. */
  take(method: FaultableMethod): CallFaults {
    const result: CallFaults = { latencyMs: 0, hang: false };
    for (const fault of this.#pending) {
      if (fault.method !== "*" && fault.method !== method) continue;
      if (fault.kind === "latency") {
        result.latencyMs += fault.ms;
      } else if (fault.kind === "hang") {
        if (result.hang) continue;
        result.hang = true;
      } else {
        if (result.fail !== undefined) continue;
        result.fail = {
          code: fault.code,
          message: fault.message ?? `Injected failure of ${method}`,
        };
      }
      if (fault.remaining !== null) fault.remaining -= 1;
    }
    this.#pending = this.#pending.filter((fault) => fault.remaining !== 0);
    return result;
  }
}

/** Every error code, for validating faults given as JSON. */
export const MESSENGER_ERROR_CODES = [
  "auth_failed",
  "two_factor_failed",
  "checkpoint",
  "not_logged_in",
  "rate_limited",
  "network",
  "timeout",
  "unsupported",
  "bad_request",
  "not_found",
  "disconnected",
  "internal",
] as const satisfies readonly MessengerErrorCode[];

// Fails to compile when a code is added to MessengerErrorCode but not to the list above.
const _allCodesListed: (typeof MESSENGER_ERROR_CODES)[number] extends MessengerErrorCode
  ? MessengerErrorCode extends (typeof MESSENGER_ERROR_CODES)[number] ? true : never
  : never = true;

/** Every faultable method, for validating faults given as JSON. */
export const FAULTABLE_METHODS = [
  "login",
  "listen",
  "exportCookies",
  "sendMessage",
  ...ALL_CAPABILITIES,
] as const satisfies readonly FaultableMethod[];

const _allMethodsListed: FaultableMethod extends (typeof FAULTABLE_METHODS)[number] ? true
  : never = true;

const FAULT_KINDS = [
  "fail",
  "latency",
  "hang",
  "drop_connection",
  "expire_session",
  "silent",
] as const;

/** Validates one fault given as JSON (`path` names it in messages). */
export function parseFault(value: unknown, path: string): Fault {
  const fields = JsonFields.of(value, path);
  const kind = fields.oneOf("kind", FAULT_KINDS, true);
  const method = () => fields.oneOf("method", [...FAULTABLE_METHODS, "*"] as const, true);
  const times = () => {
    const count = fields.count("times");
    if (count === 0) throw invalid(`${path}.times`, "must be at least 1");
    return count === undefined ? {} : { times: count };
  };
  switch (kind) {
    case "fail": {
      fields.only(["kind", "method", "code", "times", "message"]);
      const message = fields.string("message");
      return {
        kind,
        method: method(),
        code: fields.oneOf("code", MESSENGER_ERROR_CODES, true),
        ...times(),
        ...(message === undefined ? {} : { message }),
      };
    }
    case "latency": {
      fields.only(["kind", "method", "ms", "times"]);
      const ms = fields.count("ms");
      if (ms === undefined) throw invalid(`${path}.ms`, "is missing");
      return { kind, method: method(), ms, ...times() };
    }
    case "hang":
      fields.only(["kind", "method", "times"]);
      return { kind, method: method(), ...times() };
    case "drop_connection": {
      fields.only(["kind", "downMs", "loseEvents"]);
      const downMs = fields.count("downMs");
      const loseEvents = fields.boolean("loseEvents");
      return {
        kind,
        ...(downMs === undefined ? {} : { downMs }),
        ...(loseEvents === undefined ? {} : { loseEvents }),
      };
    }
    case "expire_session":
    case "silent":
      fields.only(["kind"]);
      return { kind };
  }
}
