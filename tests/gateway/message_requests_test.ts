import assert from "node:assert/strict";
import type { FormStep } from "../../src/gateway/command.ts";
import { requestField } from "../../src/gateway/commands/message_requests.ts";
import {
  MessageRequests,
  RequestBook,
  type RequestSession,
} from "../../src/gateway/message_requests.ts";
import { requestNotice } from "../../src/gateway/message_requests.ts";
import { Conversations } from "../../src/gateway/conversations.ts";
import type { UserMessageIds } from "../../src/store/message_ids.ts";
import type { MessageEvent } from "../../src/messenger/events.ts";
import { MessengerError } from "../../src/messenger/errors.ts";
import { asMessageId, asThreadId, asUserId, type ThreadId } from "../../src/messenger/ids.ts";
import type { MessengerSession, ThreadInfo } from "../../src/messenger/session.ts";
import {
  ALICE,
  DOMAIN,
  type Fixture,
  gatewayFixture,
  noteOf,
  rejectsWith,
  submit,
  waitUntil,
} from "./commands/_fixture.ts";
import { RecordingPort } from "./commands/_fixture.ts";

const STRANGER = "300001";
const BOBBY = "300002";

/** A message from `sender` to Alice, as the simulated network's control API injects it. */
async function messageFrom(f: Fixture, sender: string, text: string): Promise<void> {
  await f.network.control.inject("100001", { type: "message", sender, text });
  // The request check runs in the conversation's queue: wait until it is done.
  await f.core.settled(ALICE, sender);
}

function notices(f: Fixture): string[] {
  return f.port.messages(ALICE).filter((text) => text.includes("message request"));
}

/** What the gateway asked of Alice's Messenger account with `method`. */
function calls(f: Fixture, method: string): Record<string, unknown>[] {
  return f.network.control.operations("100001").operations
    .filter((op) => op.method === method)
    .map((op) => ({ ...op }));
}

Deno.test("the first message of a pending request is preceded by a notice saying how to answer it", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  await messageFrom(f, STRANGER, "Hi! Can I join the hike?");
  assert.deepEqual(notices(f), [requestNotice("Stranger Danger", `${STRANGER}@${DOMAIN}`)]);
  assert.match(notices(f)[0], /^Stranger Danger \(300001@facebook\.example\.org\) is not your/);
  assert.match(notices(f)[0], /send 'message-requests' to me/);

  // Later messages of the same request, and friends' messages, bring no notice; friends are
  // never asked about.
  await messageFrom(f, STRANGER, "Hello?");
  await messageFrom(f, "200002", "Hi, it's Bob");
  assert.equal(notices(f).length, 1);
  assert.deepEqual(calls(f, "getThreadInfo").map((op) => op.thread), [STRANGER]);
});

Deno.test("message-requests lists requests with a preview, and accepts and declines each", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  await messageFrom(f, STRANGER, "first");
  await messageFrom(f, STRANGER, "Can I join\nthe hike?");
  await messageFrom(f, BOBBY, "Robert'); DROP TABLE Students;--");

  const form = await f.start("message-requests", ALICE) as FormStep;
  assert.equal(form.kind, "form");
  assert.match(form.instructions ?? "", /^2 pending message requests\./);
  assert.deepEqual(
    form.fields.map((field) => [field.name, field.type, field.label, field.description]),
    [
      [
        requestField(asThreadId(BOBBY)),
        "list-single",
        `Bobby Tables: ${BOBBY}@${DOMAIN}`,
        "“Robert'); DROP TABLE Students;--”",
      ],
      [
        requestField(asThreadId(STRANGER)),
        "list-single",
        `Stranger Danger: ${STRANGER}@${DOMAIN}`,
        "“Can I join the hike?”",
      ],
    ],
  );
  assert.deepEqual(form.fields[0].options?.map((option) => option.value), [
    "later",
    "accept",
    "decline",
  ]);
  assert.equal(form.fields[0].value, "later");

  const done = await submit(form, {
    [requestField(asThreadId(STRANGER))]: "accept",
    [requestField(asThreadId(BOBBY))]: "decline",
  });
  assert.equal(
    noteOf(done),
    `Accepted: Stranger Danger (${STRANGER}@${DOMAIN}). Write to them at that address. ` +
      `Declined: Bobby Tables (${BOBBY}@${DOMAIN}).`,
  );
  assert.deepEqual(
    calls(f, "handleMessageRequest").map((op) => ({ threads: op.threads, accept: op.accept })),
    [{ threads: [STRANGER], accept: true }, { threads: [BOBBY], accept: false }],
  );
  assert.equal(
    noteOf(await f.run("message-requests", ALICE)),
    "You have no pending message requests",
  );

  // A declined sender who writes again is a request again: noticed again.
  await messageFrom(f, BOBBY, "Please?");
  assert.equal(notices(f).filter((text) => text.startsWith("Bobby Tables")).length, 2);
});

Deno.test("leaving every request for later changes nothing", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  await messageFrom(f, STRANGER, "hello");
  const done = await f.run("message-requests", ALICE, {});
  assert.equal(noteOf(done), "Nothing changed: every request is left for later");
  assert.equal(calls(f, "handleMessageRequest").length, 0);
  assert.equal((await f.start("message-requests", ALICE)).kind, "form");
});

Deno.test("requests that arrived while the gateway was away are listed, previewed from history", async () => {
  await using f = await gatewayFixture();
  await f.network.control.inject("100001", {
    type: "message",
    sender: STRANGER,
    text: "Sent while you were away",
  });
  await f.registerUser(ALICE, "alice");
  const form = await f.start("message-requests", ALICE) as FormStep;
  assert.equal(form.fields.length, 1);
  assert.equal(form.fields[0].description, "“Sent while you were away”");
  assert.deepEqual(calls(f, "getHistory").map((op) => op.thread), [STRANGER]);
});

Deno.test("without a thread list, the requests seen arriving are still listed", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  f.network.control.addFaults("100001", { kind: "fail", method: "getThreads", code: "timeout" });
  await rejectsWith(f.start("message-requests", ALICE), "unavailable", /Messenger/);

  await messageFrom(f, STRANGER, "hello");
  const only = [requestField(asThreadId(STRANGER))];
  f.network.control.addFaults("100001", { kind: "fail", method: "getThreads", code: "timeout" });
  const whenFailing = await f.start("message-requests", ALICE) as FormStep;
  assert.deepEqual(whenFailing.fields.map((field) => field.name), only);

  const messenger = f.gateway.session(ALICE)!.messenger!;
  Object.defineProperty(messenger, "getThreads", { value: undefined, configurable: true });
  const whenMissing = await f.start("message-requests", ALICE) as FormStep;
  assert.deepEqual(whenMissing.fields.map((field) => field.name), only);
});

Deno.test("missing capabilities, a logged-out session and a stale request get clear sentences", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  await messageFrom(f, STRANGER, "hello");
  const messenger = f.gateway.session(ALICE)!.messenger!;

  // The request was answered elsewhere after the form was shown.
  const form = await f.start("message-requests", ALICE) as FormStep;
  await messenger.handleMessageRequest!([asThreadId(STRANGER)], true);
  await rejectsWith(
    submit(form, { [requestField(asThreadId(STRANGER))]: "accept" }),
    "bad_input",
    /^Messenger refused the request as invalid$/,
  );

  Object.defineProperty(messenger, "handleMessageRequest", {
    value: undefined,
    configurable: true,
  });
  await rejectsWith(
    f.start("message-requests", ALICE),
    "unavailable",
    /^This Messenger connection cannot accept or decline message requests$/,
  );

  f.network.control.addFaults("100001", { kind: "expire_session" });
  await waitUntil(() => f.gateway.session(ALICE)?.state.status === "needs_reauth");
  await rejectsWith(
    f.start("message-requests", ALICE),
    "unavailable",
    /not logged in to Messenger right now/,
  );
});

// The module alone, with a hand-made session: order, failures.

function strangerMessage(text: string): MessageEvent {
  return {
    type: "message",
    conversation: { thread: asThreadId(STRANGER), kind: "direct" },
    actor: asUserId(STRANGER),
    id: asMessageId(`mid.${crypto.randomUUID()}`),
    text,
    attachments: [],
    mentions: [],
    timestamp: Date.now(),
    fromSelf: false,
  };
}

/** A session of Alice's made by hand: its own request book and conversations over `kv`. */
function handMadeSession(
  kv: Deno.Kv,
  getThreadInfo: () => Promise<ThreadInfo>,
): RequestSession & { settled(): Promise<void>; post(task: () => void): void } {
  const messenger = { getThreadInfo } as unknown as MessengerSession;
  // The message-id mapping is not used by message requests.
  const owner = {
    jid: ALICE,
    ids: {} as UserMessageIds,
    closed: false,
    archiveOf: () => {
      throw new Error("no archive here");
    },
    committed: () => Promise.resolve(),
  };
  const conversations = new Conversations(owner, {
    onError: (error) => assert.fail(String(error)),
  });
  const stranger = { thread: asThreadId(STRANGER), kind: "direct" as const };
  return {
    jid: ALICE,
    contact: () => undefined,
    messenger,
    requests: new RequestBook(kv, ALICE),
    conversations,
    settled: () => conversations.open(stranger).queue.run("to_xmpp", () => {}),
    post: (task) => void conversations.open(stranger).queue.post("to_xmpp", task),
  };
}

/** An in-memory KV closed by `using`. */
async function memoryKv(): Promise<Deno.Kv & Disposable> {
  const kv = await Deno.openKv(":memory:");
  return Object.assign(kv, { [Symbol.dispose]: () => kv.close() });
}

Deno.test("requests noticed before a restart are still listed, and not announced twice", async () => {
  using kv = await memoryKv();
  const port = new RecordingPort();
  let asked = 0;
  const info = () => {
    asked++;
    return Promise.resolve({
      id: asThreadId(STRANGER),
      isGroup: false,
      participants: [],
      name: "Stranger Danger",
      isMessageRequest: true,
    });
  };
  // Like fca: the thread list shows only the inbox, never the requests.
  const inboxOnly = { getThreads: () => Promise.resolve([]) } as unknown as MessengerSession;
  /** A gateway (re)start: fresh memory, same KV; `observe` returns once the check is done. */
  const start = () => {
    const session = handMadeSession(kv, info);
    const requests = new MessageRequests({ xmpp: port });
    return {
      list: () => requests.list(session, inboxOnly),
      answered: (threads: ThreadId[]) => requests.answered(session, threads),
      async observe(text: string, timestamp: number) {
        requests.observe(session, { ...strangerMessage(text), timestamp });
        await session.settled();
      },
    };
  };

  const before = start();
  await before.observe("Can I join the hike?", 1_700_000_000_000);
  assert.equal(port.messages(ALICE).length, 1, "the notice");
  assert.equal((await before.list()).length, 1);

  const after = start(); // the gateway restarted
  assert.deepEqual(await after.list(), [{
    thread: asThreadId(STRANGER),
    name: "Stranger Danger",
    isGroup: false,
    preview: "Can I join the hike?",
    lastActivity: 1_700_000_000_000,
  }]);
  const again = start();
  await again.observe("Hello?", 1_700_000_100_000);
  const [updated] = await again.list();
  assert.equal(updated.preview, "Hello?");
  assert.equal(updated.lastActivity, 1_700_000_100_000);
  assert.equal(port.messages(ALICE).length, 1, "announced once, before the restart");
  assert.equal(asked, 1, "Messenger was not asked again about a known request");

  await again.answered([asThreadId(STRANGER)]);
  assert.deepEqual(await start().list(), []);
});

Deno.test("the notice is queued ahead of the message even when Messenger answers slowly", async () => {
  const port = new RecordingPort();
  using kv = await memoryKv();
  const requests = new MessageRequests({ xmpp: port });
  const order: string[] = [];
  port.gatewayMessage = (_user, text) => {
    order.push(text.startsWith("Stranger") ? "notice" : text);
    return Promise.resolve();
  };
  const session = handMadeSession(kv, async () => {
    await new Promise((resolve) => setTimeout(resolve, 30));
    return {
      id: asThreadId(STRANGER),
      isGroup: false,
      participants: [],
      name: "Stranger Danger",
      isMessageRequest: true,
    };
  });
  requests.observe(session, strangerMessage("hi"));
  session.post(() => void order.push("message"));
  await session.settled();
  assert.deepEqual(order, ["notice", "message"]);
});

Deno.test("when Messenger cannot tell whether it is a request, the message still goes on", async () => {
  const port = new RecordingPort();
  using kv = await memoryKv();
  const requests = new MessageRequests({ xmpp: port });
  let asked = 0;
  const session = handMadeSession(kv, () => {
    asked++;
    return Promise.reject(new MessengerError("network", "unreachable"));
  });
  requests.observe(session, strangerMessage("hi"));
  requests.observe(session, strangerMessage("again"));
  let delivered = false;
  session.post(() => void (delivered = true));
  await session.settled();
  assert.ok(delivered);
  assert.equal(asked, 1, "asked once per conversation");
  assert.deepEqual(port.messages(ALICE), []);
});
