/**
 * The behaviour every Messenger implementation must share (the simulated network and the
 * fca-unofficial adapter), as one suite of Deno tests each implementation runs on itself:
 *
 * ```ts
 * describeMessengerContract("fca adapter", async () => ({ network, credentials, … }));
 * ```
 *
 * The gateway is written against these promises, so an implementation that passes them can be
 * swapped in without the gateway noticing. The fixture is deliberately small: a network, working
 * and refused credentials, a friend that can act towards the account (through whatever fake
 * remote side the implementation has), and a way to read what the account sent.
 *
 * Every test builds a fresh fixture and calls `close()` at the end, pass or fail.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Credentials } from "../../src/messenger/credentials.ts";
import { isMessengerError, type MessengerErrorCode } from "../../src/messenger/errors.ts";
import type { MessageEvent, RemoteEvent } from "../../src/messenger/events.ts";
import {
  directThreadOf,
  type MessageId,
  type ThreadId,
  type UserId,
} from "../../src/messenger/ids.ts";
import {
  ALL_CAPABILITIES,
  capability,
  hasCapability,
  type MessengerNetwork,
  type MessengerSession,
} from "../../src/messenger/session.ts";

/** What a friend can do towards the logged-in account, driven from the remote side. */
export interface RemoteFriend {
  /**
   * The friend sends `text` to the account in their 1:1 thread. Resolves with the message id
   * once the message is on its way to the account's listener.
   */
  sendMessage(text: string): Promise<MessageId>;
  /** The friend reacts to a message of the 1:1 thread (`""` removes the friend's reaction). */
  react(message: MessageId, reaction: string): Promise<void>;
  /** The friend unsends one of their own messages. */
  unsend(message: MessageId): Promise<void>;
  /** The remote side delivers an already delivered message again, with the same id. */
  redeliver(message: MessageId): Promise<void>;
  /** A group the account and the friend are both in. */
  readonly group: ThreadId;
  /** The friend writes `text` in {@link group}; resolves with the message id. */
  sendGroupMessage(text: string): Promise<MessageId>;
  /** The friend reacts in {@link group} to one of its messages. */
  reactInGroup(message: MessageId, reaction: string): Promise<void>;
  /** The friend starts typing in {@link group}. */
  typeInGroup(): Promise<void>;
  /**
   * The account itself, an admin of {@link group}, makes the friend an admin there from another
   * device (`admin: true`), or takes that role away.
   */
  setFriendAdmin(admin: boolean): Promise<void>;
}

/** A message the account sent, as the remote side received it. */
export interface SentRecord {
  /** The thread as the account named it (for the 1:1 thread: the friend's id). */
  thread: ThreadId;
  text: string;
  replyTo?: MessageId;
}

/** Everything the contract suite needs from an implementation; built fresh for every test. */
export interface ContractFixture {
  /** The network under test. */
  network: MessengerNetwork;
  /** Credentials that log in directly (no two-factor step). */
  credentials: Credentials;
  /** The user id those credentials log in as. */
  account: UserId;
  /** Credentials the network must refuse with `auth_failed`. */
  badCredentials: Credentials;
  /** A friend of the account; the tests use their 1:1 thread (`directThreadOf(friend)`). */
  friend: UserId;
  /** Makes the friend act. */
  remote: RemoteFriend;
  /** What the account sent so far, oldest first. */
  sent(): Promise<SentRecord[]>;
  /** Optional: a password login that asks for `code`; the two-factor test is skipped without. */
  twoFactor?: { credentials: Credentials; code: string };
  /** Frees everything the fixture started, the network included. Called once per test. */
  close(): Promise<void>;
}

/** Options of the suite. */
export interface ContractOptions {
  /** Passed to every `Deno.test` (default true); turn off with a comment saying why. */
  sanitizeOps?: boolean;
  sanitizeResources?: boolean;
  /** How long to wait for an expected event (default 5000 ms). */
  eventTimeoutMs?: number;
}

export { ALL_CAPABILITIES };

/**
 * Records a session's events and waits for the ones a test expects; the wait fails with the
 * events seen so far when nothing matches in time.
 */
export class EventRecorder {
  readonly events: RemoteEvent[] = [];
  readonly #waiters = new Set<() => void>();
  readonly stop: () => void;

  constructor(session: MessengerSession, private readonly timeoutMs = 5000) {
    this.stop = session.onEvent((event) => {
      this.events.push(event);
      for (const wake of [...this.#waiters]) wake();
    });
  }

  /** The recorded events of one type. */
  ofType<T extends RemoteEvent["type"]>(type: T): Extract<RemoteEvent, { type: T }>[] {
    return this.events.filter((event): event is Extract<RemoteEvent, { type: T }> =>
      event.type === type
    );
  }

  /** Resolves with the first recorded event (past or future) of `type` matching `predicate`. */
  next<T extends RemoteEvent["type"]>(
    type: T,
    predicate: (event: Extract<RemoteEvent, { type: T }>) => boolean = () => true,
  ): Promise<Extract<RemoteEvent, { type: T }>> {
    const find = () => this.ofType(type).find(predicate);
    const found = find();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      const check = () => {
        const match = find();
        if (match === undefined) return;
        done();
        resolve(match);
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `No matching ${type} event within ${this.timeoutMs} ms; seen: ${
              JSON.stringify(this.events)
            }`,
          ),
        );
      }, this.timeoutMs);
      this.#waiters.add(check);
    });
  }
}

/** Asserts that `promise` rejects with a MessengerError of `code`. */
export async function assertRejectsWith(
  promise: Promise<unknown>,
  code: MessengerErrorCode,
  message?: RegExp,
): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isMessengerError(error), `expected a MessengerError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

/** Logs in with credentials that must not need a second step. */
export async function loginDirectly(
  network: MessengerNetwork,
  credentials: Credentials,
): Promise<MessengerSession> {
  const result = await network.login(credentials, { selfListen: true });
  assert.equal(result.kind, "logged_in", "these credentials must log in without two-factor");
  if (result.kind !== "logged_in") throw new Error("unreachable");
  return result.session;
}

/** A short wait, for the few tests that must show that something does *not* happen. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Registers the contract tests for one implementation. */
export function describeMessengerContract(
  name: string,
  factory: () => Promise<ContractFixture>,
  options: ContractOptions = {},
): void {
  const timeoutMs = options.eventTimeoutMs ?? 5000;

  const testOptions = {
    sanitizeOps: options.sanitizeOps ?? true,
    sanitizeResources: options.sanitizeResources ?? true,
  };

  /** Runs `body` with a fresh fixture, closing it after. */
  const fixtureTest = (title: string, body: (fixture: ContractFixture) => Promise<void>) =>
    Deno.test({
      name: `${name}: ${title}`,
      ...testOptions,
      fn: async () => {
        const fixture = await factory();
        try {
          await body(fixture);
        } finally {
          await fixture.close();
        }
      },
    });

  /** Runs `body` with a fresh fixture and a logged-in, listening session, closing all after. */
  const test = (
    title: string,
    body: (context: {
      fixture: ContractFixture;
      session: MessengerSession;
      events: EventRecorder;
    }) => Promise<void> | void,
  ) =>
    fixtureTest(title, async (fixture) => {
      const session = await loginDirectly(fixture.network, fixture.credentials);
      const events = new EventRecorder(session, timeoutMs);
      try {
        await session.listen();
        await body({ fixture, session, events });
      } finally {
        events.stop();
        await session.disconnect();
      }
    });

  test("good credentials log in as the fixture's account", ({ fixture, session }) => {
    assert.equal(session.self.id, fixture.account);
  });

  fixtureTest("bad credentials are refused with auth_failed", async (fixture) => {
    await assertRejectsWith(fixture.network.login(fixture.badCredentials), "auth_failed");
  });

  fixtureTest(
    "a two-factor login asks for the code, refuses a wrong one and accepts the right one",
    async (fixture) => {
      if (fixture.twoFactor === undefined) return;
      const first = await fixture.network.login(fixture.twoFactor.credentials);
      assert.equal(first.kind, "two_factor_required");
      if (first.kind !== "two_factor_required") return;
      await assertRejectsWith(first.submitCode("000000-wrong"), "two_factor_failed");
      const second = await first.submitCode(fixture.twoFactor.code);
      assert.equal(second.kind, "logged_in");
      if (second.kind === "logged_in") await second.session.disconnect();
    },
  );

  test("after listen the session is connected", ({ session }) => {
    assert.equal(session.state.status, "connected");
  });

  test("sendMessage resolves with an id and a numeric timestamp, and the text reaches the friend", async ({ fixture, session }) => {
    const thread = directThreadOf(fixture.friend);
    const sent = await session.sendMessage(thread, { text: "Hello from the contract" }, {
      isGroup: false,
    });
    assert.equal(typeof sent.id, "string");
    assert.ok(sent.id.length > 0);
    assert.ok(Number.isFinite(sent.timestamp) && sent.timestamp > 0);
    const second = await session.sendMessage(thread, { text: "Second" }, { isGroup: false });
    assert.notEqual(second.id, sent.id, "message ids are unique");
    const records = await fixture.sent();
    const texts = records.filter((record) => record.thread === thread).map((r) => r.text);
    assert.deepEqual(texts.slice(-2), ["Hello from the contract", "Second"]);
  });

  test("a reply names the message it replies to", async ({ fixture, session, events }) => {
    const original = await fixture.remote.sendMessage("Question?");
    await events.next("message", (event) => event.id === original);
    await session.sendMessage(directThreadOf(fixture.friend), {
      text: "Answer",
      replyTo: original,
    }, { isGroup: false });
    const last = (await fixture.sent()).at(-1);
    assert.equal(last?.text, "Answer");
    assert.equal(last?.replyTo, original);
  });

  test("an empty message is refused with bad_request", async ({ fixture, session }) => {
    await assertRejectsWith(
      session.sendMessage(directThreadOf(fixture.friend), { text: "" }, { isGroup: false }),
      "bad_request",
    );
  });

  test("a friend's message arrives as a normalized message event", async ({ fixture, events }) => {
    const id = await fixture.remote.sendMessage("Hi there ✨");
    const event: MessageEvent = await events.next("message", (message) => message.id === id);
    assert.equal(event.conversation.thread, directThreadOf(fixture.friend));
    assert.equal(event.conversation.kind, "direct");
    assert.equal(event.actor, fixture.friend);
    assert.equal(event.text, "Hi there ✨");
    assert.deepEqual(event.attachments, []);
    assert.deepEqual(event.mentions, []);
    assert.equal(event.replyTo, undefined);
    assert.equal(typeof event.timestamp, "number");
    assert.ok(Number.isFinite(event.timestamp) && event.timestamp > 0);
    assert.equal(event.fromSelf, false);
  });

  test("a friend's messages arrive in the order they were sent", async ({ fixture, events }) => {
    const ids: MessageId[] = [];
    for (const text of ["one", "two", "three"]) ids.push(await fixture.remote.sendMessage(text));
    await events.next("message", (event) => event.id === ids[2]);
    const received = events.ofType("message").filter((event) => ids.includes(event.id));
    assert.deepEqual(received.map((event) => event.text), ["one", "two", "three"]);
  });

  test("a friend's reaction arrives as a reaction event, and its removal as an empty reaction", async ({ fixture, session, events }) => {
    const sent = await session.sendMessage(directThreadOf(fixture.friend), { text: "React!" }, {
      isGroup: false,
    });
    await fixture.remote.react(sent.id, "❤");
    const added = await events.next("reaction", (event) => event.reaction !== "");
    assert.equal(added.conversation.thread, directThreadOf(fixture.friend));
    assert.equal(added.messageId, sent.id);
    assert.equal(added.actor, fixture.friend);
    assert.equal(added.reaction, "❤");
    assert.equal(added.fromSelf, false);
    assert.ok(Number.isFinite(added.timestamp));
    await fixture.remote.react(sent.id, "");
    const removed = await events.next("reaction", (event) => event.reaction === "");
    assert.equal(removed.messageId, sent.id);
    assert.equal(removed.actor, fixture.friend);
  });

  test("a friend's unsend arrives as an unsend event", async ({ fixture, events }) => {
    const id = await fixture.remote.sendMessage("Oops");
    await events.next("message", (event) => event.id === id);
    await fixture.remote.unsend(id);
    const event = await events.next("unsend", (unsend) => unsend.messageId === id);
    assert.equal(event.conversation.thread, directThreadOf(fixture.friend));
    assert.equal(event.actor, fixture.friend);
    assert.equal(event.fromSelf, false);
    assert.ok(Number.isFinite(event.timestamp));
  });

  test("group events name the group and the friend as actor; 1:1 events the direct chat", async ({ fixture, events }) => {
    const direct = await fixture.remote.sendMessage("In private");
    const inGroup = await fixture.remote.sendGroupMessage("In the group");
    await fixture.remote.reactInGroup(inGroup, "👍");
    await fixture.remote.typeInGroup();
    const message = await events.next("message", (event) => event.id === inGroup);
    assert.deepEqual(message.conversation, { thread: fixture.remote.group, kind: "group" });
    assert.equal(message.actor, fixture.friend);
    const reaction = await events.next("reaction", (event) => event.messageId === inGroup);
    assert.deepEqual(reaction.conversation, { thread: fixture.remote.group, kind: "group" });
    assert.equal(reaction.actor, fixture.friend);
    const typing = await events.next("typing", (event) => event.typing);
    assert.deepEqual(typing.conversation, { thread: fixture.remote.group, kind: "group" });
    assert.equal(typing.actor, fixture.friend);
    const private_ = await events.next("message", (event) => event.id === direct);
    assert.deepEqual(private_.conversation, {
      thread: directThreadOf(fixture.friend),
      kind: "direct",
    });
  });

  test("a group admin change names the group, who did it and whose role changed", async ({ fixture, events }) => {
    await fixture.remote.setFriendAdmin(true);
    await fixture.remote.setFriendAdmin(false);
    const made = await events.next("admins_changed", (event) => event.admin);
    const unmade = await events.next("admins_changed", (event) => !event.admin);
    for (const [event, admin] of [[made, true], [unmade, false]] as const) {
      assert.ok(Number.isFinite(event.timestamp));
      assert.deepEqual({ ...event, timestamp: 0 }, {
        type: "admins_changed",
        conversation: { thread: fixture.remote.group, kind: "group" },
        actor: fixture.account,
        user: fixture.friend,
        admin,
        timestamp: 0,
        fromSelf: true,
      });
    }
  });

  test("setGroupAdmin, when offered, makes the friend an admin and no longer one; the account hears both", async ({ fixture, session, events }) => {
    if (!hasCapability(session, "setGroupAdmin")) return;
    const setGroupAdmin = capability(session, "setGroupAdmin");
    await setGroupAdmin(fixture.remote.group, fixture.friend, true);
    await events.next("admins_changed", (event) => event.admin);
    await setGroupAdmin(fixture.remote.group, fixture.friend, false);
    const unmade = await events.next("admins_changed", (event) => !event.admin);
    assert.deepEqual({ ...unmade, timestamp: 0 }, {
      type: "admins_changed",
      conversation: { thread: fixture.remote.group, kind: "group" },
      actor: fixture.account,
      user: fixture.friend,
      admin: false,
      timestamp: 0,
      fromSelf: true,
    });
    const info = await capability(session, "getThreadInfo")(fixture.remote.group);
    assert.ok(!(info.admins ?? []).includes(fixture.friend), "the friend is no admin any more");
  });

  test("a message delivered twice reaches the handlers once", async ({ fixture, events }) => {
    const id = await fixture.remote.sendMessage("Only once");
    await events.next("message", (event) => event.id === id);
    await fixture.remote.redeliver(id);
    const after = await fixture.remote.sendMessage("After the duplicate");
    await events.next("message", (event) => event.id === after);
    assert.equal(events.ofType("message").filter((event) => event.id === id).length, 1);
  });

  test("a removed handler receives nothing more", async ({ fixture, session, events }) => {
    const removed: RemoteEvent[] = [];
    const remove = session.onEvent((event) => removed.push(event));
    remove();
    const id = await fixture.remote.sendMessage("Not for the removed handler");
    await events.next("message", (event) => event.id === id);
    assert.deepEqual(removed, []);
  });

  test("after disconnect calls reject with disconnected and no event arrives", async ({ fixture, session, events }) => {
    await session.disconnect();
    await session.disconnect();
    await assertRejectsWith(
      session.sendMessage(directThreadOf(fixture.friend), { text: "late" }, { isGroup: false }),
      "disconnected",
    );
    const before = events.events.length;
    await fixture.remote.sendMessage("Nobody listens");
    await pause(50);
    assert.equal(events.events.length, before);
  });

  test("capability() gives each offered capability and throws unsupported for the others", ({ session }) => {
    for (const name of ALL_CAPABILITIES) {
      if (hasCapability(session, name)) {
        assert.equal(typeof capability(session, name), "function", name);
      } else {
        assert.throws(() => capability(session, name), (error: unknown) => {
          assert.ok(isMessengerError(error, "unsupported"), name);
          return true;
        });
      }
    }
  });

  test("react and unsend on the account's own message resolve when offered", async ({ fixture, session }) => {
    const sent = await session.sendMessage(directThreadOf(fixture.friend), { text: "Mine" }, {
      isGroup: false,
    });
    if (hasCapability(session, "react")) await capability(session, "react")(sent.id, "👍");
    if (hasCapability(session, "unsend")) await capability(session, "unsend")(sent.id);
  });

  test("restartListener, when offered, reconnects the same login and events flow again", async ({ fixture, session, events }) => {
    if (!hasCapability(session, "restartListener")) return;
    const statesBefore = events.ofType("connection").length;
    await capability(session, "restartListener")();
    assert.equal(session.state.status, "connected");
    assert.equal(session.self.id, fixture.account, "the same login");
    const id = await fixture.remote.sendMessage("After the restart");
    assert.equal(
      (await events.next("message", (event) => event.id === id)).text,
      "After the restart",
    );
    // Events are delivered in order: the connection changes came before that message.
    const states = events.ofType("connection").slice(statesBefore).map((event) =>
      event.state.status
    );
    assert.ok(states.includes("transient_disconnect"), `it went down: ${states}`);
    assert.equal(states.at(-1), "connected", `and came back: ${states}`);
  });

  test("exported cookies name the account and log in again", async ({ fixture, session }) => {
    const cookies = await session.exportCookies();
    assert.equal(cookies.find((cookie) => cookie.key === "c_user")?.value, fixture.account);
    assert.ok(cookies.some((cookie) => cookie.key === "xs"));
    const again = await loginDirectly(fixture.network, { kind: "cookies", cookies });
    assert.equal(again.self.id, fixture.account);
    await again.disconnect();
  });
}
