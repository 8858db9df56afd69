/**
 * A gateway core for command tests: in-memory KV, the simulated Messenger network from a small
 * world, and a recording XMPP port, with helpers to run a command step by step the way the
 * renderers do (pre-filled values kept for fields left out).
 *
 * @module
 */

import assert from "node:assert/strict";
import { NullXmppPort } from "../_null_port.ts";
import type { LogLevel } from "../../../src/config/config.ts";
import {
  type Command,
  type CommandCaller,
  type CommandStep,
  type FormStep,
  type FormValues,
  mayRun,
} from "../../../src/gateway/command.ts";
import type { CommandContext } from "../../../src/gateway/commands/context.ts";
import type { ContactPresenceMode } from "../../../src/gateway/contact_presence.ts";
import type { Gateway } from "../../../src/gateway/gateway.ts";
import { type TestCore, testCore } from "../_core.ts";
import type { MessageRequests } from "../../../src/gateway/message_requests.ts";
import type {
  Chat,
  ContactCard,
  PresenceState,
  RoomCard,
  RoomChange,
  XmppPort,
} from "../../../src/gateway/xmpp_port.ts";
import type { UserId } from "../../../src/messenger/ids.ts";
import type { SimulatedNetwork } from "../../../src/messenger/simulated/mod.ts";
import { waitUntil } from "../../_wait.ts";

export { waitUntil };

/** The gateway's domain in these tests (the same as tests/xmpp's recording router). */
export const DOMAIN = "facebook.example.org";
/** A user without two-factor (Alice Example, 100001). */
export const ALICE = "alice@example.org";
/** A user whose password login asks for the code 123456 (Bob Twofactor, 100002). */
export const BOB = "bob@example.org";
/** A user with cookies `c_user=100003; xs=carolsecret` (Carol Cookies, 100003). */
export const CAROL = "carol@example.org";
/** A user whose account is behind a checkpoint (Dave Locked, 100004). */
export const DAVE = "dave@example.org";
/** The admin. */
export const ADMIN = "admin@example.org";
/** Not allowed to register (not under example.org). */
export const EVE = "eve@evil.example";

/** Passwords of the world below. */
export const PASSWORDS = {
  alice: "correct horse",
  bob: "bob password",
  carol: "carol password",
  dave: "hunter22",
} as const;

/** The world of these tests. */
export const WORLD = `
[[account]]
email = "alice@example.com"
password = "correct horse"
user_id = "100001"
name = "Alice Example"

  [[account.friend]]
  id = "200001"
  name = "Echo Bot"
  echo = true

  [[account.friend]]
  id = "200002"
  name = "Bob Builder"

  [[account.group]]
  id = "900001"
  name = "Hiking club"
  members = ["200001", "200002"]

[[account]]
email = "bob@example.com"
password = "bob password"
two_factor_code = "123456"
user_id = "100002"
name = "Bob Twofactor"

  [[account.friend]]
  id = "200001"
  name = "Echo Bot"

[[account]]
email = "carol@example.com"
password = "carol password"
cookies = "c_user=100003; xs=carolsecret"
user_id = "100003"
name = "Carol Cookies"

[[account]]
email = "dave@example.com"
password = "hunter22"
user_id = "100004"
name = "Dave Locked"
checkpoint = true

[[user]]
id = "300001"
name = "Stranger Danger"

[[user]]
id = "300002"
name = "Bobby Tables"
`;

/** One call the core made on the XMPP side. */
export type PortCall =
  | { kind: "gatewayPresence"; user: string; presence: PresenceState }
  | { kind: "gatewayMessage"; user: string; text: string }
  | { kind: "contactPresence"; user: string; contact: UserId; presence: PresenceState }
  | { kind: "addContacts"; user: string; contacts: ContactCard[] }
  | { kind: "removeContacts"; user: string; contacts: UserId[] }
  | { kind: "bookmarkRooms"; user: string; rooms: RoomCard[] }
  | { kind: "roomChanged"; chat: Chat; change: RoomChange };

/** An {@link XmppPort} that records every call. */
export class RecordingPort extends NullXmppPort implements XmppPort {
  readonly calls: PortCall[] = [];
  override gatewayPresence(user: string, presence: PresenceState): Promise<void> {
    this.calls.push({ kind: "gatewayPresence", user, presence });
    return Promise.resolve();
  }
  override gatewayMessage(user: string, text: string): Promise<void> {
    this.calls.push({ kind: "gatewayMessage", user, text });
    return Promise.resolve();
  }
  override contactPresence(user: string, contact: UserId, presence: PresenceState): Promise<void> {
    this.calls.push({ kind: "contactPresence", user, contact, presence });
    return Promise.resolve();
  }
  override addContacts(user: string, contacts: ContactCard[]): Promise<void> {
    this.calls.push({ kind: "addContacts", user, contacts });
    return Promise.resolve();
  }
  override removeContacts(user: string, contacts: UserId[]): Promise<void> {
    this.calls.push({ kind: "removeContacts", user, contacts });
    return Promise.resolve();
  }
  override bookmarkRooms(user: string, rooms: RoomCard[]): Promise<void> {
    this.calls.push({ kind: "bookmarkRooms", user, rooms });
    return Promise.resolve();
  }
  override roomChanged(chat: Chat, change: RoomChange): Promise<void> {
    this.calls.push({ kind: "roomChanged", chat, change });
    return Promise.resolve();
  }
  /** Chat messages the gateway sent `user`. */
  messages(user: string): string[] {
    return this.calls.flatMap((call) =>
      call.kind === "gatewayMessage" && call.user === user ? [call.text] : []
    );
  }
}

/** The running fixture; dispose it (`await using`). */
export interface Fixture extends AsyncDisposable {
  kv: Deno.Kv;
  network: SimulatedNetwork;
  port: RecordingPort;
  gateway: Gateway;
  /** The core as built for the app, around the recording port. */
  core: TestCore;
  ctx: CommandContext;
  /** Message requests, observing every Messenger event (as the app wires them). */
  messageRequests: MessageRequests;
  commands: Command[];
  /** Log levels set through the context, in order. */
  levelsSet: LogLevel[];
  caller(jid: string): CommandCaller;
  command(node: string): Command;
  /** Starts a command as `jid` (refusing as the renderers do when they may not run it). */
  start(node: string, jid: string): Promise<CommandStep>;
  /** Starts a command and submits one value set per form; returns the last step. */
  run(node: string, jid: string, ...submissions: FormValues[]): Promise<CommandStep>;
  /** Registers `jid` with the password of `account` (no two-factor accounts) and waits until connected. */
  registerUser(jid: string, account: "alice" | "carol"): Promise<void>;
  /** Every KV key, as JSON. */
  keys(): Promise<string[]>;
}

/** Options of {@link gatewayFixture}. */
export interface FixtureOptions {
  /** `contacts.presence`; default the gateway's default. */
  contactPresence?: ContactPresenceMode;
}

/** Builds the fixture. */
export async function gatewayFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const port = new RecordingPort();
  const levelsSet: LogLevel[] = [];
  let level: LogLevel = "info";
  const startedAt = Date.now();
  const core = await testCore(port, {
    world: WORLD,
    echoDelayMs: 0,
    config: (config) => {
      config.gateway.name = "Test gateway";
      config.roster.maxContacts = 100;
      if (options.contactPresence) config.contacts.presence = options.contactPresence;
    },
    deps: {
      runtime: {
        logLevel: {
          current: () => level,
          set(next) {
            levelsSet.push(next);
            level = next;
          },
        },
        memoryBytes: () => 50 * 1024 * 1024,
        now: () => startedAt + 3_723_000,
      },
    },
  });
  const { kv, network, gateway } = core;
  const ctx = core.commandContext;
  const commands = core.port.commands();
  const caller = (jid: string): CommandCaller => core.port.caller(`${jid}/test`);
  const command = (node: string): Command => {
    const found = commands.find((candidate) => candidate.node === node);
    assert.ok(found, `no command ${node}`);
    return found;
  };
  const start = async (node: string, jid: string): Promise<CommandStep> => {
    const who = caller(jid);
    const cmd = command(node);
    assert.ok(mayRun(cmd.access, who), `${jid} may not run ${node}`);
    return await cmd.start(who);
  };
  const run = async (
    node: string,
    jid: string,
    ...submissions: FormValues[]
  ): Promise<CommandStep> => {
    let step = await start(node, jid);
    for (const values of submissions) {
      assert.equal(step.kind, "form", `expected a form, got ${JSON.stringify(step)}`);
      step = await submit(step as FormStep, values);
    }
    return step;
  };
  const fixture: Fixture = {
    kv,
    network,
    port,
    gateway,
    core,
    ctx,
    messageRequests: ctx.messageRequests,
    commands,
    levelsSet,
    caller,
    command,
    start,
    run,
    async registerUser(jid, account) {
      const emails = { alice: "alice@example.com", carol: "carol@example.com" };
      const done = await run("jabber:iq:register", jid, {
        email: emails[account],
        password: PASSWORDS[account],
      }, {});
      assert.equal(done.kind, "result", JSON.stringify(done));
      await waitUntil(() => gateway.session(jid)?.state.status === "connected");
      // The contact and group syncs follow the connection.
      await gateway.session(jid)!.afterLoginSyncs();
    },
    async keys() {
      const out: string[] = [];
      for await (const entry of kv.list({ prefix: [] })) out.push(JSON.stringify(entry.key));
      return out;
    },
    [Symbol.asyncDispose]: () => core[Symbol.asyncDispose](),
  };
  return fixture;
}

/** Submits values to a form step, keeping pre-filled values for fields left out. */
export async function submit(step: FormStep, values: FormValues): Promise<CommandStep> {
  const filled: FormValues = {};
  for (const field of step.fields) {
    if (field.type === "fixed") continue;
    const value = field.name in values ? values[field.name] : field.value;
    if (value !== undefined) filled[field.name] = value;
  }
  return await step.submit(filled);
}

/** The rows of a result step's table (asserting it is a result with a table). */
export function rowsOf(step: CommandStep): Record<string, string>[] {
  assert.equal(step.kind, "result", JSON.stringify(step));
  assert.ok(step.kind === "result" && step.table, JSON.stringify(step));
  return step.table.rows;
}

/** The note of a result step (asserting it is a result). */
export function noteOf(step: CommandStep): string {
  assert.equal(step.kind, "result", JSON.stringify(step));
  return step.kind === "result" ? step.note ?? "" : "";
}

/** Asserts that `promise` rejects with a CommandError of `kind` whose sentence matches `re`. */
export async function rejectsWith(
  promise: Promise<unknown> | (() => unknown),
  kind: string,
  re?: RegExp,
): Promise<string> {
  let error: unknown;
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof Error, `expected a rejection with ${kind}`);
  assert.equal(error.name, "CommandError", String(error));
  assert.equal((error as Error & { kind: string }).kind, kind, error.message);
  if (re) assert.match(error.message, re);
  return error.message;
}
