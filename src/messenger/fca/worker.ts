/// <reference no-default-lib="true" />
/// <reference lib="deno.worker" />
/**
 * The Worker that runs fca-unofficial for one or several Messenger accounts.
 *
 * Each account is a {@link WorkerAccount} with its own copy of fca's files (fca keeps per-login
 * state at module level: fca_loader.ts) over libraries the Worker loads once; how many accounts
 * share a Worker is the main side's choice (`messenger.accounts_per_worker`, worker_pool.ts). This
 * file routes each request to its account (creating it on its first request, forgetting it when
 * it leaves), installs the test-only endpoint override, and contains what escapes fca: uncaught
 * errors and rejections are logged, not fatal. A crash or a hang still takes the whole Worker
 * down; the main side then restarts every account it hosted.
 *
 * @module
 */

import "./_worker_preamble.ts";
import { toWireError } from "./error_mapping.ts";
import { installEndpointOverride } from "./http_interception.ts";
import type { AccountKey, WireLogLevel, WorkerNotice, WorkerRequest } from "./protocol.ts";
import { type AccountOp, WorkerAccount } from "./worker_account.ts";

const accounts = new Map<AccountKey, WorkerAccount>();
let testMode = false;
let containErrors = true;

function post(notice: WorkerNotice): void {
  try {
    self.postMessage(notice);
  } catch (error) {
    // A value that does not clone: report that instead of losing the message silently.
    self.postMessage({ kind: "log", level: "error", message: `Unpostable notice: ${error}` });
  }
}

/** A line about the Worker itself (not one account): the main side hides every account's secrets. */
function log(level: WireLogLevel, message: string): void {
  post({ kind: "log", level, message });
}

function respond(id: number, error?: unknown): void {
  post(
    error === undefined
      ? { kind: "response", id, ok: true, value: null }
      : { kind: "response", id, ok: false, error: toWireError(error) },
  );
}

self.addEventListener("error", (event) => {
  if (!containErrors) return;
  event.preventDefault();
  log("error", `Contained an uncaught error in the fca Worker: ${event.message}`);
});

self.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  const wire = toWireError(event.reason);
  log("error", `Contained an unhandled rejection in the fca Worker: ${JSON.stringify(wire)}`);
});

/** The Worker's own test operations (the endpoint override must be active). */
function runTestOperation(request: WorkerRequest): void {
  const { id } = request;
  if (!testMode) return respond(id, "Test operations are disabled");
  if (request.op === "test_crash") {
    respond(id);
    containErrors = false;
    setTimeout(() => {
      throw new Error("Deliberate crash of the fca Worker (test)");
    }, 0);
  } else if (request.op === "test_uncaught") {
    setTimeout(() => {
      throw new Error("Deliberate uncaught error in the fca Worker (test)");
    }, 0);
    Promise.reject(new Error("Deliberate unhandled rejection in the fca Worker (test)"));
    respond(id);
  } else if (request.op === "test_hang") {
    const until = Date.now() + request.params.ms;
    while (Date.now() < until) {
      // Busy: this Worker answers nothing meanwhile.
    }
    respond(id);
  }
}

self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  if (request?.kind !== "request") return;
  try {
    if (request.op === "login" && request.params.endpointOverride !== undefined) {
      installEndpointOverride(request.params.endpointOverride);
      testMode = true;
    }
    if (request.op === "ping") return respond(request.id);
    if (request.op.startsWith("test_")) return runTestOperation(request);
    let account = accounts.get(request.account);
    if (request.op === "leave") {
      account?.leave();
      accounts.delete(request.account);
      return respond(request.id);
    }
    if (account === undefined) {
      account = new WorkerAccount(request.account, post);
      accounts.set(request.account, account);
    }
    account.handle(request.id, request.op as AccountOp, request.params);
  } catch (error) {
    respond(request.id, error);
  }
};
