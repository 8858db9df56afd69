/**
 * The main side of one fca Worker: typed calls with timeouts, and crash containment.
 *
 * Every call settles exactly once: with the Worker's answer, with a `timeout` MessengerError when
 * it does not answer in time, or with `disconnected` / `internal` when the Worker is terminated
 * or crashes meanwhile. A crash (an error escaping the Worker) is caught with `onerror` +
 * `preventDefault()`, so it never reaches the process, and reported once to `onCrash`.
 *
 * @module
 */

import { MessengerError } from "../errors.ts";
import { messengerErrorFromWire } from "./error_mapping.ts";
import type { WorkerNotice, WorkerOp, WorkerOps, WorkerRequest } from "./protocol.ts";

/** What the owner of a Worker hears from it. */
export interface WorkerClientHandlers {
  /** Events, MQTT life and log lines (responses are consumed by {@link WorkerClient.call}). */
  onNotice(notice: Exclude<WorkerNotice, { kind: "response" }>): void;
  /** The Worker died on its own; it is already terminated and pending calls rejected. */
  onCrash(reason: string): void;
  /** Hides the account's secrets in fca's error texts (default: texts kept as they are). */
  redact?(text: string): string;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: MessengerError): void;
  timer: ReturnType<typeof setTimeout>;
  op: WorkerOp;
}

/** Where the Worker script is; tests of this module may point elsewhere. */
export const FCA_WORKER_URL = new URL("./worker.ts", import.meta.url);

/** One running fca Worker (one account). */
export class WorkerClient {
  static #live = 0;
  readonly #worker: Worker;
  readonly #handlers: WorkerClientHandlers;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #alive = true;

  constructor(handlers: WorkerClientHandlers, scriptUrl: URL = FCA_WORKER_URL) {
    this.#handlers = handlers;
    this.#worker = new Worker(scriptUrl, { type: "module", name: "fca-account" });
    WorkerClient.#live++;
    this.#worker.onmessage = (event: MessageEvent<WorkerNotice>) => this.#receive(event.data);
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#die(`The fca Worker crashed: ${event.message}`);
    };
    this.#worker.onmessageerror = () => {
      this.#handlers.onNotice({
        kind: "log",
        level: "error",
        message: "A message from the fca Worker could not be read",
      });
    };
  }

  /** How many fca Workers are running in this process (each costs ≈ 28 MiB): for sizing. */
  static get liveCount(): number {
    return WorkerClient.#live;
  }

  /** False once terminated or crashed. */
  get alive(): boolean {
    return this.#alive;
  }

  /**
   * Runs one operation in the Worker. Rejects with a MessengerError: the mapped fca failure,
   * `timeout` after `timeoutMs`, or `disconnected` if the Worker goes away first.
   */
  call<K extends WorkerOp>(
    op: K,
    params: WorkerOps[K]["params"],
    timeoutMs: number,
    transfer: Transferable[] = [],
  ): Promise<WorkerOps[K]["result"]> {
    if (!this.#alive) {
      return Promise.reject(
        new MessengerError("disconnected", `The Messenger session is closed: ${op}`),
      );
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new MessengerError("timeout", `Facebook did not answer in time: ${op}`));
      }, timeoutMs);
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer, op });
      try {
        this.#worker.postMessage({ kind: "request", id, op, params } as WorkerRequest, transfer);
      } catch (error) {
        clearTimeout(timer);
        this.#pending.delete(id);
        reject(
          new MessengerError("internal", `Could not send ${op} to the fca Worker`, {
            cause: error,
          }),
        );
      }
    });
  }

  /** Stops the Worker now; pending calls reject with `disconnected`. Idempotent. */
  terminate(): void {
    if (!this.#alive) return;
    this.#alive = false;
    WorkerClient.#live--;
    this.#worker.terminate();
    this.#rejectAll("disconnected", "The Messenger session was closed");
  }

  #die(reason: string): void {
    if (!this.#alive) return;
    this.#alive = false;
    WorkerClient.#live--;
    this.#worker.terminate();
    this.#rejectAll("internal", reason);
    this.#handlers.onCrash(reason);
  }

  #rejectAll(code: "disconnected" | "internal", reason: string): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(new MessengerError(code, `${reason}: ${pending.op}`));
    }
  }

  #receive(notice: WorkerNotice): void {
    if (!this.#alive) return;
    if (notice.kind !== "response") {
      this.#handlers.onNotice(notice);
      return;
    }
    const pending = this.#pending.get(notice.id);
    if (pending === undefined) return; // Answered after its timeout.
    this.#pending.delete(notice.id);
    clearTimeout(pending.timer);
    if (notice.ok) pending.resolve(notice.value);
    else {
      pending.reject(
        messengerErrorFromWire(
          pending.op,
          notice.error,
          (text) => this.#handlers.redact?.(text) ?? text,
        ),
      );
    }
  }
}
