/**
 * The real Messenger network: logs accounts in with fca-unofficial, in Workers that each host up
 * to `accountsPerWorker` accounts (each account on its own copy of fca: worker_pool.ts).
 *
 * Cookie login (appState) is the path that works with today's Facebook; email/password is
 * offered too but fca's password form is likely outdated upstream. A two-factor login keeps its
 * place in a Worker waiting for the code for `twoFactorTimeoutMs`, then frees it.
 *
 * @module
 */

import type { Credentials } from "../credentials.ts";
import { MessengerError } from "../errors.ts";
import type { LoginOptions, LoginResult, MessengerNetwork } from "../session.ts";
import { FcaSession, type LoginStep } from "./fca_session.ts";
import type { SupervisorClock } from "./listener_supervisor.ts";
import type { EndpointOverride, WireCredentials } from "./protocol.ts";
import { DEFAULT_FCA_TIMINGS, type FcaTimings } from "./timings.ts";
import { FCA_WORKER_URL } from "./worker_client.ts";
import { DEFAULT_ACCOUNTS_PER_WORKER, WorkerPool } from "./worker_pool.ts";

/** Logins (accounts starting fca) running at once; more wait their turn. */
export const MAX_CONCURRENT_LOGINS = 4;

/**
 * The browser fca claims to be unless `messenger.user_agent` says otherwise: a current desktop
 * Chrome (December 2026). fca's own default is Safari 8 from 2015, which Facebook may well treat
 * as suspicious. Update it with Chrome's releases; admins can override it without a new version.
 */
export const DEFAULT_USER_AGENT =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) " +
  "Chrome/149.0.0.0 Safari/537.36";

/**
 * Construction options. `timings`, `userAgent` and `accountsPerWorker` are meant for production
 * configuration.
 */
export interface FcaNetworkOptions {
  timings?: Partial<FcaTimings>;
  /** The browser fca claims to be ({@link DEFAULT_USER_AGENT} when absent or empty). */
  userAgent?: string;
  /**
   * How many accounts one fca Worker hosts (`messenger.accounts_per_worker`; default
   * {@link DEFAULT_ACCOUNTS_PER_WORKER}): more is less memory, fewer is fewer accounts taken down
   * together by one crash or hang.
   */
  accountsPerWorker?: number;
  /**
   * For tests only, never wired to the configuration file: run fca against a loopback fake of
   * Facebook, allow the test-only failure operations, and drive the sessions' timers.
   */
  testOnly?: { endpointOverride?: EndpointOverride; workerUrl?: URL; clock?: SupervisorClock };
}

/** {@link MessengerNetwork} over fca-unofficial. */
export class FcaNetwork implements MessengerNetwork {
  /** Shown in logs and the version reply. */
  readonly name = "fca-unofficial 1.3.10";
  readonly #timings: FcaTimings;
  readonly #userAgent: string;
  readonly #testOnly: FcaNetworkOptions["testOnly"];
  readonly #sessions = new Set<FcaSession>();
  readonly #pool: WorkerPool;

  constructor(options: FcaNetworkOptions = {}) {
    this.#timings = { ...DEFAULT_FCA_TIMINGS, ...options.timings };
    this.#userAgent = options.userAgent?.trim() || DEFAULT_USER_AGENT;
    this.#testOnly = options.testOnly;
    this.#pool = new WorkerPool(
      options.accountsPerWorker ?? DEFAULT_ACCOUNTS_PER_WORKER,
      options.testOnly?.workerUrl ?? FCA_WORKER_URL,
    );
  }

  /** How many accounts share one fca Worker. */
  get accountsPerWorker(): number {
    return this.#pool.accountsPerWorker;
  }

  /** fca Workers running for this network's accounts. */
  get workers(): number {
    return this.#pool.workers;
  }

  /** Logs an account in, in a Worker with room. Throws MessengerError on failure. */
  async login(credentials: Credentials, options: LoginOptions = {}): Promise<LoginResult> {
    const wire = wireCredentials(credentials);
    // A bounded number of logins (each starting a copy of fca) run at once; the rest queue, so
    // a burst (a restart, someone hammering registration) cannot exhaust memory.
    await this.#loginSlot();
    try {
      return await this.#login(wire, options);
    } finally {
      this.#releaseLoginSlot();
    }
  }

  #loginsRunning = 0;
  #loginQueue: (() => void)[] = [];

  #loginSlot(): Promise<void> {
    if (this.#loginsRunning < MAX_CONCURRENT_LOGINS) {
      this.#loginsRunning++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#loginQueue.push(resolve));
  }

  #releaseLoginSlot(): void {
    const next = this.#loginQueue.shift();
    if (next) next();
    else this.#loginsRunning--;
  }

  async #login(wire: WireCredentials, options: LoginOptions): Promise<LoginResult> {
    const session = new FcaSession({
      timings: this.#timings,
      selfListen: options.selfListen ?? false,
      userAgent: this.#userAgent,
      ...(this.#testOnly?.endpointOverride === undefined
        ? {}
        : { endpointOverride: this.#testOnly.endpointOverride }),
      pool: this.#pool,
      ...(this.#testOnly?.clock === undefined ? {} : { clock: this.#testOnly.clock }),
    });
    this.#sessions.add(session);
    session.onEvent((event) => {
      if (event.type === "connection" && event.state.status === "logged_out") {
        this.#sessions.delete(session);
      }
    });
    const timeoutMs = options.timeoutMs ?? this.#timings.loginTimeoutMs;
    try {
      return this.#result(session, await session.begin(wire, timeoutMs), timeoutMs);
    } catch (error) {
      this.#sessions.delete(session);
      throw error;
    }
  }

  /** Disconnects every session and stops every Worker this network started. */
  async close(): Promise<void> {
    const sessions = [...this.#sessions];
    this.#sessions.clear();
    await Promise.all(sessions.map((session) => session.disconnect()));
    this.#pool.close();
  }

  #result(session: FcaSession, step: LoginStep, timeoutMs: number): LoginResult {
    if (step === "logged_in") return { kind: "logged_in", session };
    const expiry = setTimeout(() => {
      session.abandon("The two-factor login expired");
      this.#sessions.delete(session);
    }, this.#timings.twoFactorTimeoutMs);
    const finish = () => clearTimeout(expiry);
    return {
      kind: "two_factor_required",
      submitCode: async (code: string): Promise<LoginResult> => {
        if (typeof code !== "string" || code.trim() === "") {
          throw new MessengerError("bad_request", "The two-factor code is empty");
        }
        try {
          const next = await session.submitCode(code.trim(), timeoutMs);
          finish();
          return this.#result(session, next, timeoutMs);
        } catch (error) {
          if (!(error instanceof MessengerError && error.code === "two_factor_failed")) {
            finish();
            this.#sessions.delete(session);
          }
          throw error;
        }
      },
      cancel: () => {
        finish();
        session.abandon();
        this.#sessions.delete(session);
      },
    };
  }
}

function wireCredentials(credentials: Credentials): WireCredentials {
  if (credentials.kind === "password") {
    const password = credentials.password.reveal();
    if (credentials.email === "" || password === "") {
      throw new MessengerError("bad_request", "Email and password are both needed");
    }
    return { kind: "password", email: credentials.email, password };
  }
  if (credentials.cookies.length === 0) {
    throw new MessengerError("bad_request", "No cookies given");
  }
  return {
    kind: "cookies",
    appState: credentials.cookies.map((cookie) => ({
      ...cookie,
      domain: cookie.domain.replace(/^\./, ""),
      path: cookie.path ?? "/",
    })),
  };
}
