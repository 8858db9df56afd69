/**
 * The main side of one fca Worker, which hosts one or several accounts: typed calls with
 * timeouts, and crash and hang containment.
 *
 * Each account talks to the Worker through its own {@link AccountChannel}. Every call settles
 * exactly once: with the Worker's answer, with a `timeout` MessengerError when it does not answer
 * in time, or with `disconnected` / `internal` when the account leaves or the Worker dies
 * meanwhile. A crash (an error escaping the Worker) is caught with `onerror` + `preventDefault()`,
 * so it never reaches the process. A hang (the Worker's loop blocked) shows as calls that time
 * out; after a timeout the Worker is pinged, and one that does not answer the ping in as long is
 * stopped. Either way every account the Worker hosted hears `onCrash` once, and nothing else: the
 * accounts on other Workers go on.
 *
 * @module
 */

import { messengerLog } from "../../log.ts";
import { MessengerError } from "../errors.ts";
import { messengerErrorFromWire } from "./error_mapping.ts";
import type {
  AccountKey,
  AccountNotice,
  WorkerNotice,
  WorkerOp,
  WorkerOps,
  WorkerRequest,
} from "./protocol.ts";

/** What the owner of an account hears from the Worker that hosts it. */
export interface AccountHandlers {
  /** Events, MQTT life and log lines of this account (responses go to the calls). */
  onNotice(notice: AccountNotice): void;
  /**
   * The Worker died (crashed, or was stopped because it hung); the account went with it and its
   * pending calls are rejected. Said once per account.
   */
  onCrash(reason: string): void;
  /** Hides the account's secrets in fca's error texts (default: texts kept as they are). */
  redact?(text: string): string;
}

/** One account's way to its Worker. */
export interface AccountChannel {
  /** False once the account left, or the Worker died. */
  readonly alive: boolean;
  /**
   * Runs one operation for this account. Rejects with a MessengerError: the mapped fca failure,
   * `timeout` after `timeoutMs`, or `disconnected` / `internal` if the account leaves or the
   * Worker dies first.
   */
  call<K extends WorkerOp>(
    op: K,
    params: WorkerOps[K]["params"],
    timeoutMs: number,
    transfer?: Transferable[],
  ): Promise<WorkerOps[K]["result"]>;
  /**
   * The account leaves the Worker (which goes on for its other accounts, or stops when this was
   * its last one); pending calls reject with `disconnected`. Idempotent.
   */
  release(): void;
  /**
   * The Worker does not answer: stops it. Every account it hosted, this one included, hears
   * `onCrash(reason)`.
   */
  kill(reason: string): void;
}

/** Where the Worker script is; tests of this module may point elsewhere. */
export const FCA_WORKER_URL = new URL("./worker.ts", import.meta.url);

interface Pending {
  resolve(value: unknown): void;
  reject(error: MessengerError): void;
  timer: ReturnType<typeof setTimeout>;
  op: WorkerOp;
  account: Attached;
}

interface Attached {
  key: AccountKey;
  handlers: AccountHandlers;
  channel: AccountChannel;
}

/** One running fca Worker and the accounts it hosts (at most `capacity`). */
export class WorkerClient {
  static #live = 0;
  readonly capacity: number;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #accounts = new Map<AccountKey, Attached>();
  #nextId = 1;
  #nextKey = 1;
  #alive = true;
  #probing = false;

  constructor(capacity = 1, scriptUrl: URL = FCA_WORKER_URL) {
    this.capacity = Math.max(1, Math.floor(capacity));
    this.#worker = new Worker(scriptUrl, { type: "module", name: "fca-accounts" });
    WorkerClient.#live++;
    this.#worker.onmessage = (event: MessageEvent<WorkerNotice>) => this.#receive(event.data);
    this.#worker.onerror = (event: ErrorEvent) => {
      event.preventDefault();
      this.#die(`The fca Worker crashed: ${event.message}`);
    };
    this.#worker.onmessageerror = () => {
      messengerLog.error("A message from the fca Worker could not be read");
    };
  }

  /** How many fca Workers are running in this process: for sizing and tests. */
  static get liveCount(): number {
    return WorkerClient.#live;
  }

  /** False once the Worker stopped (its last account left, it crashed or hung). */
  get alive(): boolean {
    return this.#alive;
  }

  /** Accounts it can still take. */
  get freeSlots(): number {
    return this.#alive ? this.capacity - this.#accounts.size : 0;
  }

  /** Gives an account a place in this Worker (which must have a free slot). */
  attach(handlers: AccountHandlers): AccountChannel {
    if (this.freeSlots <= 0) throw new Error("This fca Worker has no room for another account");
    const key = `a${this.#nextKey++}`;
    const isAlive = () => this.#alive && this.#accounts.get(key) === attached;
    const channel: AccountChannel = {
      get alive() {
        return isAlive();
      },
      call: (op, params, timeoutMs, transfer) =>
        this.#call(attached, op, params, timeoutMs, transfer),
      release: () => this.#release(attached),
      kill: (reason) => {
        if (isAlive()) this.#die(reason);
      },
    };
    const attached: Attached = { key, handlers, channel };
    this.#accounts.set(key, attached);
    return channel;
  }

  /** Stops the Worker now; its accounts' pending calls reject with `disconnected`. */
  terminate(): void {
    if (!this.#stop()) return;
    this.#rejectAll("disconnected", "The Messenger session was closed");
  }

  #call<K extends WorkerOp>(
    account: Attached,
    op: K,
    params: WorkerOps[K]["params"],
    timeoutMs: number,
    transfer: Transferable[] = [],
  ): Promise<WorkerOps[K]["result"]> {
    if (!account.channel.alive) {
      return Promise.reject(
        new MessengerError("disconnected", `The Messenger session is closed: ${op}`),
      );
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new MessengerError("timeout", `Facebook did not answer in time: ${op}`));
        this.#probe(timeoutMs);
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
        op,
        account,
      });
      try {
        this.#worker.postMessage(
          { kind: "request", id, account: account.key, op, params } as WorkerRequest,
          transfer,
        );
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

  /** After a timeout: a Worker that cannot answer a ping in as long is hung, and stopped. */
  #probe(timeoutMs: number): void {
    if (!this.#alive || this.#probing) return;
    const any = this.#accounts.values().next().value;
    if (any === undefined) return;
    this.#probing = true;
    this.#call(any, "ping", {}, timeoutMs).then(
      () => (this.#probing = false),
      (error) => {
        this.#probing = false;
        if (error instanceof MessengerError && error.code === "timeout") {
          this.#die("The fca Worker stopped answering");
        }
      },
    );
  }

  #release(account: Attached): void {
    if (this.#accounts.get(account.key) !== account) return;
    this.#forget(account);
    for (const [id, pending] of this.#pending) {
      if (pending.account !== account) continue;
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(
        new MessengerError("disconnected", `The Messenger session was closed: ${pending.op}`),
      );
    }
    if (!this.#alive) return;
    if (this.#accounts.size === 0) {
      this.terminate();
      return;
    }
    try {
      this.#worker.postMessage(
        { kind: "request", id: this.#nextId++, account: account.key, op: "leave", params: {} },
      );
    } catch {
      // The Worker is going away anyway.
    }
  }

  #forget(account: Attached): void {
    this.#accounts.delete(account.key);
  }

  /** Stops the Worker; false when it had stopped already. */
  #stop(): boolean {
    if (!this.#alive) return false;
    this.#alive = false;
    WorkerClient.#live--;
    this.#worker.terminate();
    return true;
  }

  #die(reason: string): void {
    if (!this.#stop()) return;
    this.#rejectAll("internal", reason);
    const accounts = [...this.#accounts.values()];
    for (const account of accounts) this.#forget(account);
    for (const account of accounts) {
      try {
        account.handlers.onCrash(reason);
      } catch (error) {
        messengerLog.error("Handling the crash of an fca Worker failed: {error}", { error });
      }
    }
  }

  #rejectAll(code: "disconnected" | "internal", reason: string): void {
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(new MessengerError(code, `${reason}: ${pending.op}`));
    }
    if (code === "disconnected") {
      for (const account of [...this.#accounts.values()]) this.#forget(account);
    }
  }

  #receive(notice: WorkerNotice): void {
    if (!this.#alive) return;
    if (notice.kind !== "response") {
      const { account: key, ...rest } = notice;
      if (key === undefined) return this.#workerLog(rest as AccountNotice);
      this.#accounts.get(key)?.handlers.onNotice(rest as AccountNotice);
      return;
    }
    const pending = this.#pending.get(notice.id);
    if (pending === undefined) return; // Answered after its timeout, or its account left.
    this.#pending.delete(notice.id);
    clearTimeout(pending.timer);
    if (notice.ok) pending.resolve(notice.value);
    else {
      const redact = pending.account.handlers.redact;
      pending.reject(
        messengerErrorFromWire(pending.op, notice.error, (text) => redact?.(text) ?? text),
      );
    }
  }

  /** A line about the Worker, not one account: every hosted account's secrets are hidden. */
  #workerLog(notice: AccountNotice): void {
    if (notice.kind !== "log") return;
    let message = notice.message;
    for (const account of this.#accounts.values()) {
      message = account.handlers.redact?.(message) ?? message;
    }
    const level = notice.level === "warning" ? "warning" : notice.level;
    messengerLog[level]("fca Worker: {message}", { message });
  }
}
