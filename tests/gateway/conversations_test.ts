import assert from "node:assert/strict";
import { Conversations } from "../../src/gateway/conversations.ts";
import { asThreadId } from "../../src/messenger/ids.ts";
import type { UserMessageIds } from "../../src/store/message_ids.ts";

function owner() {
  return {
    jid: "alice@example.org",
    ids: {} as UserMessageIds,
    closed: false,
    archiveOf: () => {
      throw new Error("no archive here");
    },
    committed: () => Promise.resolve(),
  };
}

const direct = (id: string) => ({ thread: asThreadId(id), kind: "direct" as const });

Deno.test("one conversation object per thread: both directions share its queue and state", () => {
  const conversations = new Conversations(owner(), { onError: () => {} });
  const first = conversations.open(direct("200002"));
  first.lastSent = "x-1";
  const again = conversations.open(direct("200002"));
  assert.equal(again, first);
  assert.equal(again.lastSent, "x-1");
  assert.equal(conversations.get(asThreadId("200002")), first);
  assert.equal(conversations.get(asThreadId("900001")), undefined);
});

Deno.test("a thread Messenger names a group after all takes the group kind", () => {
  const conversations = new Conversations(owner(), { onError: () => {} });
  const conversation = conversations.open(direct("900001"));
  conversations.open({ thread: asThreadId("900001"), kind: "group" });
  assert.equal(conversation.kind, "group");
  assert.deepEqual(conversation.ref, { thread: "900001", kind: "group" });
});

Deno.test("beyond the bound, the least recently used idle conversation is dropped", async () => {
  const conversations = new Conversations(owner(), { onError: () => {} }, 2);
  const busy = conversations.open(direct("1"));
  let finish = () => {};
  busy.queue.post("to_xmpp", () => new Promise<void>((resolve) => (finish = resolve)));
  conversations.open(direct("2"));
  conversations.open(direct("3"));
  // "1" is the oldest but busy: "2" goes instead.
  assert.deepEqual(conversations.all().map((c) => c.thread), ["1", "3"]);
  finish();
  assert.equal(await busy.queue.idle(1000), true);
});

Deno.test("closeAll drops waiting work, lets running work finish, and forgets everything", async () => {
  const errors: unknown[] = [];
  const conversations = new Conversations(owner(), { onError: (error) => errors.push(error) });
  const conversation = conversations.open(direct("200002"));
  let finish = () => {};
  const ran: string[] = [];
  conversation.queue.post("to_xmpp", async () => {
    await new Promise<void>((resolve) => (finish = resolve));
    ran.push(conversation.closed ? "running, saw closed" : "running");
  });
  conversation.queue.post("to_messenger", () => void ran.push("waiting"));
  const closing = conversations.closeAll("unregistered", 10_000);
  assert.equal(conversations.size, 0);
  finish();
  assert.equal(await closing, true);
  assert.deepEqual(ran, ["running, saw closed"]);
  assert.equal(errors.length, 1, "the dropped task is reported");
});
