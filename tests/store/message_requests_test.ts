import assert from "node:assert/strict";
import {
  deleteMessageRequests,
  listMessageRequests,
  putMessageRequest,
} from "../../src/store/message_requests.ts";
import { deleteUserData, putUser } from "../../src/store/user_records.ts";

const ALICE = "alice@example.org";

Deno.test("pending requests are stored per user, replaced, deleted, and go with the user", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    await putMessageRequest(kv, ALICE, { thread: "300001", name: "Stranger", isGroup: false });
    await putMessageRequest(kv, ALICE, {
      thread: "300001",
      name: "Stranger Danger",
      isGroup: false,
      preview: "hi",
      lastActivity: 5,
    });
    await putMessageRequest(kv, ALICE, { thread: "300002", name: "Bobby", isGroup: false });
    await putMessageRequest(kv, "bob@example.org", { thread: "1", name: "X", isGroup: false });
    assert.deepEqual((await listMessageRequests(kv, ALICE)).map((r) => [r.thread, r.name]), [
      ["300001", "Stranger Danger"],
      ["300002", "Bobby"],
    ]);
    await deleteMessageRequests(kv, ALICE, ["300002", "999"]);
    assert.deepEqual(await listMessageRequests(kv, ALICE), [{
      thread: "300001",
      name: "Stranger Danger",
      isGroup: false,
      preview: "hi",
      lastActivity: 5,
    }]);

    await putUser(kv, { jid: ALICE, registeredAt: 1, preferences: {} });
    await deleteUserData(kv, ALICE);
    assert.deepEqual(await listMessageRequests(kv, ALICE), []);
    assert.equal((await listMessageRequests(kv, "bob@example.org")).length, 1);
  } finally {
    kv.close();
  }
});
