/**
 * fca says `isGroup` only on messages: the account's own reaction (from the official app) in a
 * thread the session never saw cannot tell a group from a 1:1 chat. The session looks such a
 * thread up before delivering the event, and the events after it wait, so order is kept and no
 * group event ever reaches the gateway as a 1:1 chat.
 */

import assert from "node:assert/strict";
import { ALICE, FcaTestBed, SELF, waitFor } from "./_harness.ts";

const UNSEEN_GROUP = "900777";

/** The account's own reaction in `thread`, as a ClientPayload delta. */
function ownReaction(thread: { threadFbId: number } | { otherUserFbId: number }, message: string) {
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
  return { class: "ClientPayload", payload: Array.from(bytes) };
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

Deno.test("own acts in threads never seen are looked up, in order, before delivery", async () => {
  const bed = await new FcaTestBed().start();
  try {
    bed.fake.threads.set(UNSEEN_GROUP, {
      id: UNSEEN_GROUP,
      isGroup: true,
      name: "Never seen",
      participants: [SELF, ALICE, "100009"],
      admins: [SELF],
      updatedAt: 1_700_000_000_000,
    });
    const account = await bed.connect({ id: SELF }, { selfListen: true });
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
  } finally {
    await bed.close();
  }
});
