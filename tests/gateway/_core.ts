/**
 * The gateway core for tests, built by the same `createCore` as `src/app.ts`, without XML: a
 * simulated network from a given world, an in-memory store, and a test {@link XmppPort}. Every
 * core-level test starts here, so the wiring exists once.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Config } from "../../src/config/config.ts";
import { parseConfig } from "../../src/config/load.ts";
import { type Core, type CoreDependencies, createCore } from "../../src/gateway/core.ts";
import type { XmppPort } from "../../src/gateway/xmpp_port.ts";
import type { UserSession } from "../../src/gateway/user_session.ts";
import type { ConversationRef } from "../../src/messenger/events.ts";
import { asThreadId } from "../../src/messenger/ids.ts";
import { parseWorld, SimulatedNetwork } from "../../src/messenger/simulated/mod.ts";
import { waitUntil } from "../_wait.ts";
import { Secret } from "../../src/secret.ts";
import { NULL_PORT_DOMAIN } from "./_null_port.ts";

/** The gateway's domain in core tests. */
export const DOMAIN = NULL_PORT_DOMAIN;
/** The user most tests register (alice@example.com / "correct horse", account 100001). */
export const ALICE = "alice@example.org";

/** A world of Alice's account (100001) with one friend, Bob Builder (200002). */
export const ALICE_AND_BOB_WORLD = `[[account]]
email = "alice@example.com"
password = "correct horse"
user_id = "100001"
name = "Alice Example"
  [[account.friend]]
  id = "200002"
  name = "Bob Builder"
`;

/**
 * A valid configuration for tests: admins, allowed JIDs and timings for a test run; `adjust`
 * changes what a test needs (a plain object after validation).
 */
export function testConfig(adjust?: (config: Config) => void): Config {
  const config = parseConfig(
    `[component]
jid = "${DOMAIN}"
secret = "core-test-secret"
[gateway]
admins = ["admin@example.org"]
allowed_jids = ["[^@/]+@example\\\\.org"]
login_stagger_ms = 0
data = "unused.kv"
`,
    "/tests/core.toml",
    {},
  );
  config.messages.reconnectWait = 2;
  config.messenger.watchdogInterval = 0; // tests run checks themselves (session.checkContent)
  adjust?.(config);
  return config;
}

/** Options of {@link testCore}. */
export interface TestCoreOptions {
  /** The simulated world (TOML). */
  world: string;
  config?: (config: Config) => void;
  /** Extra dependencies (downloads, rehosting, command context overrides, tuning). */
  deps?: Partial<Omit<CoreDependencies, "kv" | "network" | "xmpp">>;
  /** Echo friends' answer delay (ms); default the network's. */
  echoDelayMs?: number;
  /** A store of the caller's (kept open on dispose, e.g. to start a core again on it). */
  kv?: Deno.Kv;
  /** A simulated network of the caller's (kept open on dispose: it outlives a "restart"). */
  network?: SimulatedNetwork;
  /** Fills the store before the core starts (registered users from an earlier run). */
  seed?: (kv: Deno.Kv) => Promise<void>;
  /** Runs on the network before the core starts (faults for the first logins). */
  beforeStart?: (network: SimulatedNetwork) => void;
}

/** A core under test, with what it was built around. Dispose it (`await using`). */
export interface TestCore extends Core, AsyncDisposable {
  kv: Deno.Kv;
  network: SimulatedNetwork;
  /** Registers `jid` with a password account of the world and waits until it is connected. */
  registerUser(jid: string, email: string, password: string): Promise<UserSession>;
  /** Waits until the conversation's queue has nothing left (both directions). */
  settled(user: string, conversation: ConversationRef | string): Promise<void>;
}

/** Builds and starts a core around `port`. */
export async function testCore(port: XmppPort, options: TestCoreOptions): Promise<TestCore> {
  const kv = options.kv ?? await Deno.openKv(":memory:");
  await options.seed?.(kv);
  const network = options.network ?? new SimulatedNetwork(
    parseWorld(options.world, "<inline>"),
    options.echoDelayMs === undefined ? {} : { echoDelayMs: options.echoDelayMs },
  );
  options.beforeStart?.(network);
  const core = createCore(testConfig(options.config), {
    kv,
    network,
    xmpp: port,
    software: { name: "messenger-gateway", version: "9.9.9" },
    ...options.deps,
    tuning: {
      retryDelayMs: 3_600_000,
      cookieSaveIntervalMs: 3_600_000,
      retryPauseMs: 5,
      typingThrottleMs: 60_000,
      ...options.deps?.tuning,
    },
  });
  await core.start();
  return {
    ...core,
    kv,
    network,
    async registerUser(jid, email, password) {
      const step = await core.gateway.register(jid, {
        kind: "password",
        email,
        password: new Secret(password),
      });
      assert.equal(step.kind, "registered");
      const session = core.gateway.session(jid)!;
      assert.ok(await session.whenConnected(10_000), `${jid} did not connect`);
      return session;
    },
    async settled(user, conversation) {
      const thread = typeof conversation === "string"
        ? asThreadId(conversation)
        : conversation.thread;
      await waitUntil(
        () => core.gateway.session(user)?.conversations.get(thread)?.queue.idleNow ?? true,
        `the conversation ${thread} of ${user} to settle`,
      );
    },
    async [Symbol.asyncDispose]() {
      await core.stop();
      if (!options.network) await network.close();
      if (!options.kv) kv.close();
    },
  };
}

/** The classic message-flow setup: a core whose Alice (100001) is registered and connected. */
export async function aliceCore(port: XmppPort, options: TestCoreOptions) {
  const core = await testCore(port, options);
  const session = await core.registerUser(ALICE, "alice@example.com", "correct horse");
  return Object.assign(core, { session });
}
