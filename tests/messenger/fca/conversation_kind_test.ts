/**
 * fca says `isGroup` only on messages: the account's own reaction (from the official app) in a
 * thread never seen before does not tell a group from a 1:1 chat. The raw delta's thread key
 * does (`threadFbId` is a group, `otherUserFbId` a 1:1 chat), so the adapter reads it before fca
 * (delta_tap.ts) and needs no lookup. When even that cannot be read, the session looks the thread
 * up before delivering the event, and the events after it wait: order is kept and no group event
 * ever reaches the gateway as a 1:1 chat.
 */

import assert from "node:assert/strict";
import { ALICE, FcaTestBed, SELF, waitFor } from "./_harness.ts";

const UNSEEN_GROUP = "900777";
const THREAD_LOOKUP = "MessengerGraphQLThreadFetcher";

/** The account's own reaction in `thread`, as a ClientPayload delta (`bytes` may be altered). */
function ownReaction(
  thread: { threadFbId: number } | { otherUserFbId: number },
  message: string,
  alter: (bytes: number[]) => number[] = (bytes) => bytes,
) {
  const bytes = new TextEncoder().encode(JSON.stringify({
    deltas: [{
      deltaMessageReaction: {
        threadKey: thread,
        messageId: message,
        action: 0,
        userId: Number(SELF),
        senderId: Number(ALICE),
        reaction: "👍",
      },
    }],
  }));
  return { class: "ClientPayload", payload: alter(Array.from(bytes)) };
}

/** A 1:1 message from Alice. */
function aliceMessage(id: string) {
  return {
    class: "NewMessage",
    attachments: [],
    body: "after the reaction",
    messageMetadata: {
      actorFbId: ALICE,
      messageId: id,
      offlineThreadingId: "1",
      tags: [],
      threadKey: { otherUserFbId: ALICE },
      timestamp: String(Date.now()),
    },
  };
}

async function setUp() {
  const bed = await new FcaTestBed().start();
  bed.fake.threads.set(UNSEEN_GROUP, {
    id: UNSEEN_GROUP,
    isGroup: true,
    name: "Never seen",
    participants: [SELF, ALICE, "100009"],
    admins: [SELF],
    updatedAt: 1_700_000_000_000,
  });
  const account = await bed.connect({ id: SELF }, { selfListen: true });
  const lookups = () =>
    bed.fake.requestsTo("/api/graphqlbatch/").filter((request) =>
      request.form.batch_name === THREAD_LOOKUP
    ).length;
  return { bed, account, lookups };
}

Deno.test("own acts in threads never seen take their kind from the thread key, in order", async () => {
  const { bed, account, lookups } = await setUp();
  try {
    bed.fake.publishDeltas(SELF, [
      ownReaction({ threadFbId: Number(UNSEEN_GROUP) }, "mid.$g"),
      ownReaction({ otherUserFbId: Number(ALICE) }, "mid.$d"),
      aliceMessage("mid.$after"),
    ]);
    await waitFor("three events", () => account.remote().length >= 3);
    const [group, direct, message] = account.remote();
    assert.equal(group.type, "reaction");
    assert.deepEqual(
      "conversation" in group && group.conversation,
      { thread: UNSEEN_GROUP, kind: "group" },
    );
    assert.equal(group.type === "reaction" && group.fromSelf, true);
    assert.deepEqual(
      "conversation" in direct && direct.conversation,
      { thread: ALICE, kind: "direct" },
    );
    assert.equal(message.type === "message" && message.id, "mid.$after", "order is kept");
    assert.equal(lookups(), 0, "the thread key said it all");
  } finally {
    await bed.close();
  }
});

Deno.test("a thread key the adapter cannot read is looked up first; later events wait", async () => {
  const { bed, account, lookups } = await setUp();
  try {
    // A byte that is not UTF-8 inside the reaction: fca (reading Latin-1) still gets the
    // reaction, the adapter's own reading of the payload fails.
    const notUtf8 = (bytes: number[]) => {
      const at = bytes.lastIndexOf(0x22); // the closing quote of the reaction
      return [...bytes.slice(0, at), 0xe9, ...bytes.slice(at)];
    };
    bed.fake.publishDeltas(SELF, [
      ownReaction({ threadFbId: Number(UNSEEN_GROUP) }, "mid.$g", notUtf8),
      aliceMessage("mid.$after"),
    ]);
    await waitFor("two events", () => account.remote().length >= 2);
    const [group, message] = account.remote();
    assert.deepEqual(
      "conversation" in group && group.conversation,
      { thread: UNSEEN_GROUP, kind: "group" },
    );
    assert.equal(message.type === "message" && message.id, "mid.$after", "order is kept");
    assert.equal(lookups(), 1, "looked up once");
  } finally {
    await bed.close();
  }
});
