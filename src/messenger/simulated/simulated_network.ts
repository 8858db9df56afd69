/**
 * The simulated Messenger network: a faithful, in-memory, scriptable Messenger for tests,
 * benchmarks, the demo mode and admins trying their XMPP setup without a Facebook account.
 *
 * It logs accounts of a world file in (password, cookies, two-factor codes, checkpoints) and
 * hands out {@link SimulatedSession}s; `network.control` (and optionally a loopback HTTP API)
 * drives the other side.
 *
 * @module
 */

import type { Cookie, Credentials } from "../credentials.ts";
import { MessengerError } from "../errors.ts";
import { messengerLog } from "../../log.ts";
import type { LoginOptions, LoginResult, MessengerNetwork } from "../session.ts";
import { SimulatedControl } from "./control.ts";
import { type ControlAddress, ControlServer } from "./control_server.ts";
import { FileServer } from "./file_server.ts";
import { OperationLog } from "./operations.ts";
import { loadWorld } from "./parse_world.ts";
import { type SimAccount, SimulatedFacebook } from "./simulated_facebook.ts";
import { SimulatedIds } from "./simulated_ids.ts";
import { SimulatedSession } from "./simulated_session.ts";
import { sleep } from "./sleep.ts";
import { WorkTracker } from "./work_tracker.ts";
import type { World } from "./world.ts";

/** Settings of a simulated network (all optional). */
export interface SimulatedNetworkOptions {
  /** Delay before echo friends answer, ms (default 0: the next macrotask). */
  echoDelayMs?: number;
  /** How long a call hit by a `hang` fault waits before rejecting with `timeout` (default 10 s). */
  callTimeoutMs?: number;
  /** The clock for timestamps (default `Date.now`). */
  now?: () => number;
  /** Memory budget of the file server; the oldest files are dropped beyond it (default 256 MiB). */
  maxFileBytes?: number;
}

/** The simulated Messenger network. */
export class SimulatedNetwork implements MessengerNetwork {
  readonly name = "simulated";
  /** Nobody to spare: every registered user logs in at once at startup. */
  readonly pacesLogins = false;
  /** Drives the network from tests: inject events and faults, read operations. */
  readonly control: SimulatedControl;
  readonly #facebook: SimulatedFacebook;
  readonly #files: FileServer;
  readonly #log = new OperationLog();
  readonly #tracker = new WorkTracker();
  readonly #sessions = new Set<SimulatedSession>();
  readonly #abort = new AbortController();
  readonly #now: () => number;
  readonly #callTimeoutMs: number;
  #nextSessionId = 1;
  #controlServer: ControlServer | undefined;
  #closed = false;

  /** Builds the network from a parsed world; nothing listens until a file or the control API needs it. */
  constructor(readonly world: World, options: SimulatedNetworkOptions = {}) {
    const ids = new SimulatedIds();
    this.#now = options.now ?? Date.now;
    this.#callTimeoutMs = options.callTimeoutMs ?? 10_000;
    this.#files = new FileServer(ids, options.maxFileBytes);
    this.#facebook = new SimulatedFacebook(world, {
      ids,
      tracker: this.#tracker,
      now: this.#now,
      echoDelayMs: options.echoDelayMs ?? 0,
    });
    this.control = new SimulatedControl({
      facebook: this.#facebook,
      log: this.#log,
      files: this.#files,
      tracker: this.#tracker,
    });
  }

  /** The file server's origin once it runs (on loopback): see MessengerNetwork. */
  get privateMediaOrigin(): string | undefined {
    return this.#files.baseUrl;
  }

  /** The control API's base URL while it runs. */
  get controlUrl(): string | undefined {
    return this.#controlServer?.url;
  }

  /**
   * Starts the loopback HTTP control API (port 0 picks a free port) and returns its base URL.
   * Throws when the hostname is not a loopback address or the API already runs.
   */
  startControlServer(address: ControlAddress): string {
    if (this.#closed) throw new Error("The simulated network is closed");
    if (this.#controlServer !== undefined) {
      throw new Error(`The control API already runs at ${this.#controlServer.url}`);
    }
    this.#controlServer = ControlServer.start(this.control, address);
    return this.#controlServer.url;
  }

  async login(credentials: Credentials, options: LoginOptions = {}): Promise<LoginResult> {
    this.#ensureOpen();
    const sessionId = this.#nextSessionId++;
    const account = credentials.kind === "password"
      ? this.#facebook.accountByEmail(credentials.email)
      : this.#facebook.account(
        credentials.cookies.find((cookie) => cookie.key === "c_user")?.value ?? "",
      );
    const via = credentials.kind === "password" ? "password" : "cookies";
    const record = (error?: MessengerError, twoFactorRequired = false) => {
      if (account === undefined) return;
      this.#log.record(account.world.userId, sessionId, this.#now(), {
        method: "login",
        via,
        ...(twoFactorRequired ? { twoFactorRequired: true } : {}),
      }, error?.code);
    };
    try {
      if (account !== undefined) await this.#applyLoginFaults(account, options);
      if (account === undefined || !(await this.#credentialsMatch(account, credentials))) {
        throw new MessengerError(
          "auth_failed",
          credentials.kind === "password" ? "Wrong email or password" : "The cookies were refused",
        );
      }
      if (account.world.checkpoint) {
        throw new MessengerError(
          "checkpoint",
          account.world.suspended
            ? "Facebook has suspended this account"
            : "Facebook wants this account confirmed in a browser (checkpoint)",
          {
            detail: {
              ...(account.world.checkpointUrl ? { url: account.world.checkpointUrl } : {}),
              ...(account.world.suspended ? { suspended: true } : {}),
            },
          },
        );
      }
      if (credentials.kind === "password" && account.world.twoFactorCode !== undefined) {
        record(undefined, true);
        return this.#twoFactorStep(account, sessionId, options);
      }
      record();
      return { kind: "logged_in", session: await this.#openSession(account, sessionId, options) };
    } catch (error) {
      if (error instanceof MessengerError) record(error);
      throw error;
    }
  }

  /** Disconnects every session, stops the servers and cancels all pending work. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#abort.abort(new MessengerError("disconnected", "The simulated network was closed"));
    for (const session of [...this.#sessions]) await session.disconnect();
    this.#sessions.clear();
    this.#tracker.close();
    await this.#controlServer?.close();
    this.#controlServer = undefined;
    await this.#files.close();
  }

  // ---------------------------------------------------------------------------------------------

  #ensureOpen(): void {
    if (this.#closed) throw new MessengerError("disconnected", "The simulated network is closed");
  }

  async #applyLoginFaults(account: SimAccount, options: LoginOptions): Promise<void> {
    const faults = account.faults.take("login");
    const limit = options.timeoutMs ?? Number.POSITIVE_INFINITY;
    const wait = faults.hang ? this.#callTimeoutMs : faults.latencyMs;
    if (wait > 0) await sleep(Math.min(wait, limit), this.#abort.signal);
    if (faults.hang || wait > limit) {
      throw new MessengerError("timeout", "Messenger did not answer the login in time");
    }
    if (faults.fail !== undefined) throw new MessengerError(faults.fail.code, faults.fail.message);
  }

  async #credentialsMatch(account: SimAccount, credentials: Credentials): Promise<boolean> {
    if (credentials.kind === "password") {
      return credentials.password.reveal() === account.world.password;
    }
    const xs = credentials.cookies.find((cookie) => cookie.key === "xs")?.value;
    if (xs === undefined) return false;
    const configured = account.world.cookies?.find((cookie) => cookie.key === "xs")?.value;
    return xs === configured || xs === await issuedXs(account);
  }

  #twoFactorStep(account: SimAccount, sessionId: number, options: LoginOptions): LoginResult {
    let finished = false;
    const step: LoginResult = {
      kind: "two_factor_required",
      submitCode: async (code: string): Promise<LoginResult> => {
        this.#ensureOpen();
        const record = (error?: MessengerError) =>
          this.#log.record(account.world.userId, sessionId, this.#now(), {
            method: "login",
            via: "two_factor_code",
          }, error?.code);
        if (finished) {
          const error = new MessengerError("bad_request", "This login already ended");
          record(error);
          throw error;
        }
        if (code.trim() !== account.world.twoFactorCode) {
          const error = new MessengerError("two_factor_failed", "Wrong two-factor code");
          record(error);
          throw error;
        }
        finished = true;
        record();
        return { kind: "logged_in", session: await this.#openSession(account, sessionId, options) };
      },
      cancel: () => {
        finished = true;
      },
    };
    return step;
  }

  async #openSession(
    account: SimAccount,
    sessionId: number,
    options: LoginOptions,
  ): Promise<SimulatedSession> {
    const cookies = await sessionCookies(account);
    this.#ensureOpen();
    const session = new SimulatedSession(
      {
        facebook: this.#facebook,
        files: this.#files,
        log: this.#log,
        tracker: this.#tracker,
        now: this.#now,
        callTimeoutMs: this.#callTimeoutMs,
        onDisconnect: (closed) => this.#sessions.delete(closed),
      },
      sessionId,
      account,
      { selfListen: options.selfListen ?? false, cookies },
    );
    this.#sessions.add(session);
    // The gateway logs the user's state: this is detail (a line per user at every start).
    messengerLog.debug("Simulated account {account} logged in (session {session})", {
      account: account.world.userId,
      session: sessionId,
    });
    return session;
  }
}

/**
 * Loads the world file and builds a network; starts the control API when `control` is given.
 * The argument has the shape of the configuration's `[simulated]` section.
 */
export async function createSimulatedNetwork(
  config: { world: string; control?: ControlAddress },
  options: SimulatedNetworkOptions = {},
): Promise<SimulatedNetwork> {
  const network = new SimulatedNetwork(await loadWorld(config.world), options);
  if (config.control !== undefined) {
    try {
      network.startControlServer(config.control);
    } catch (error) {
      await network.close();
      throw error;
    }
  }
  return network;
}

/** The cookies a session exports: the configured ones, or c_user plus an issued `xs`. */
async function sessionCookies(account: SimAccount): Promise<Cookie[]> {
  if (account.world.cookies !== undefined) {
    return account.world.cookies.map((cookie) => ({ ...cookie }));
  }
  return [
    { key: "c_user", value: account.world.userId, domain: "facebook.com", path: "/" },
    { key: "xs", value: await issuedXs(account), domain: "facebook.com", path: "/" },
  ];
}

/**
 * The `xs` cookie value the simulation issues for an account: derived from its id and password,
 * so cookies saved by the gateway still work after a restart, and it changes with the password.
 */
async function issuedXs(account: SimAccount): Promise<string> {
  const input = new TextEncoder().encode(
    `simulated-xs:${account.world.userId}:${account.world.password}`,
  );
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", input));
  return [...digest.slice(0, 16)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
