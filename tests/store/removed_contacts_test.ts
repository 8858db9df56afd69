import assert from "node:assert/strict";
import {
  markContactRemoved,
  removedContacts,
  unmarkContactRemoved,
} from "../../src/store/removed_contacts.ts";
import { deleteUserData, putUser } from "../../src/store/user_records.ts";

const ALICE = "alice@example.org";

Deno.test("removed contacts are kept per user, forgotten when added back, and go with the user", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    await markContactRemoved(kv, ALICE, "200001");
    await markContactRemoved(kv, ALICE, "200002");
    await markContactRemoved(kv, "bob@example.org", "200001");
    assert.deepEqual(await removedContacts(kv, ALICE), new Set(["200001", "200002"]));
    await unmarkContactRemoved(kv, ALICE, "200002");
    assert.deepEqual(await removedContacts(kv, ALICE), new Set(["200001"]));
    await putUser(kv, { jid: ALICE, registeredAt: 1, preferences: {} });
    await deleteUserData(kv, ALICE);
    assert.deepEqual(await removedContacts(kv, ALICE), new Set());
    assert.deepEqual(await removedContacts(kv, "bob@example.org"), new Set(["200001"]));
  } finally {
    kv.close();
  }
});
