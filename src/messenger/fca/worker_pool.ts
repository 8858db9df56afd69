/**
 * Places accounts in fca Workers, `accountsPerWorker` at most in each: the admin's trade-off
 * (`messenger.accounts_per_worker`) between memory and how many accounts one crash or hang takes
 * down.
 *
 * A Worker costs about 40 MiB with its libraries; an account in it a few MiB more (measured in
 * bench/fca_memory.ts, documented in docs/admin-guide.md, "Sizing"). Each account in a shared
 * Worker still has its own copy of fca's code and state (fca_loader.ts); what the accounts of a
 * Worker share is its thread and its fate: a crash or a blocked loop stops the Worker, and every
 * account it hosted is told (worker_client.ts) and logs in again, in a Worker with room.
 *
 * @module
 */

import {
  type AccountChannel,
  type AccountHandlers,
  FCA_WORKER_URL,
  WorkerClient,
} from "./worker_client.ts";

/** Accounts per Worker when the configuration does not say (see the admin guide, "Sizing"). */
export const DEFAULT_ACCOUNTS_PER_WORKER = 10;

/** The most accounts one Worker may host. */
export const MAX_ACCOUNTS_PER_WORKER = 100;

/** See the module documentation. */
export class WorkerPool {
  readonly accountsPerWorker: number;
  readonly #scriptUrl: URL;
  #workers: WorkerClient[] = [];

  constructor(accountsPerWorker = DEFAULT_ACCOUNTS_PER_WORKER, scriptUrl: URL = FCA_WORKER_URL) {
    this.accountsPerWorker = Math.max(
      1,
      Math.min(MAX_ACCOUNTS_PER_WORKER, Math.floor(accountsPerWorker)),
    );
    this.#scriptUrl = scriptUrl;
  }

  /** Running Workers of this pool. */
  get workers(): number {
    this.#prune();
    return this.#workers.length;
  }

  /** An account's place: in the oldest running Worker with room, else in a new Worker. */
  attach(handlers: AccountHandlers): AccountChannel {
    this.#prune();
    let worker = this.#workers.find((candidate) => candidate.freeSlots > 0);
    if (worker === undefined) {
      worker = new WorkerClient(this.accountsPerWorker, this.#scriptUrl);
      this.#workers.push(worker);
    }
    return worker.attach(handlers);
  }

  /** Stops every Worker (their accounts' pending calls reject with `disconnected`). */
  close(): void {
    for (const worker of this.#workers) worker.terminate();
    this.#workers = [];
  }

  #prune(): void {
    this.#workers = this.#workers.filter((worker) => worker.alive);
  }
}
