import assert from "node:assert/strict";
import { join } from "node:path";
import { Secret } from "../../src/secret.ts";
import { userPrefix } from "../../src/store/keys.ts";
import {
  deleteUserData,
  getUser,
  listUsers,
  putUser,
  updateUser,
  type UserRecord,
} from "../../src/store/user_records.ts";

/** Runs `fn` with a KV database in a fresh temp folder; both are cleaned up afterwards. */
async function withKv(fn: (kv: Deno.Kv) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mg-users-" });
  const kv = await Deno.openKv(join(dir, "test.db"));
  try {
    await fn(kv);
  } finally {
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function record(jid: string, extra: Partial<UserRecord> = {}): UserRecord {
  return { jid, registeredAt: 1_700_000_000_000, preferences: {}, ...extra };
}

/** Writes `n` entries under the user's prefix, within KV's 1000 mutations per commit. */
async function fillUserData(kv: Deno.Kv, jid: string, n: number): Promise<void> {
  for (let start = 0; start < n; start += 500) {
    const op = kv.atomic();
    for (let i = start; i < Math.min(n, start + 500); i++) {
      op.set([...userPrefix(jid), "msgmap", `mid.${i}`], { xmppId: `x${i}` });
    }
    assert.ok((await op.commit()).ok);
  }
}

/** Every key in the database, as JSON, sorted. */
async function allKeys(kv: Deno.Kv): Promise<string[]> {
  const keys: string[] = [];
  for await (const entry of kv.list({ prefix: [] })) keys.push(JSON.stringify(entry.key));
  return keys.sort();
}

Deno.test("a stored user record reads back as written and unknown users read as null", async () => {
  await withKv(async (kv) => {
    const alice = record("alice@example.org", {
      messengerSession: new Secret("cookie-jar"),
      savedLogin: { email: "alice@example.com", password: new Secret("pw") },
      preferences: { typing: true, nick: "Alice", limit: 3 },
    });
    await putUser(kv, alice);
    const read = await getUser(kv, "alice@example.org");
    assert.deepEqual(read, alice);
    assert.equal(read?.messengerSession?.reveal(), "cookie-jar");
    assert.equal(read?.savedLogin?.password.reveal(), "pw");
    assert.equal(await getUser(kv, "nobody@example.org"), null);
  });
});

Deno.test("putting a record for the same JID replaces the previous one", async () => {
  await withKv(async (kv) => {
    await putUser(kv, record("alice@example.org"));
    const updated = record("alice@example.org", { preferences: { typing: false } });
    await putUser(kv, updated);
    assert.deepEqual(await getUser(kv, "alice@example.org"), updated);
    assert.equal((await listUsers(kv)).length, 1);
  });
});

Deno.test("listing users returns every registration and nothing else", async () => {
  await withKv(async (kv) => {
    assert.deepEqual(await listUsers(kv), []);
    await putUser(kv, record("bob@example.org"));
    await putUser(kv, record("alice@example.org"));
    await fillUserData(kv, "alice@example.org", 3);
    await kv.set(["counter", "messages"], new Deno.KvU64(1n));
    const jids = (await listUsers(kv)).map((user) => user.jid).sort();
    assert.deepEqual(jids, ["alice@example.org", "bob@example.org"]);
  });
});

Deno.test("deleting a user removes their registration and all their data but nobody else's", async () => {
  await withKv(async (kv) => {
    const alice = "alice@example.org";
    const bob = "bob@example.org";
    const lookalike = "alice@example.org.evil";
    await putUser(kv, record(alice));
    await putUser(kv, record(bob));
    await putUser(kv, record(lookalike));
    await fillUserData(kv, alice, 1200);
    await kv.set([...userPrefix(alice), "session"], "cookies");
    await fillUserData(kv, bob, 5);
    await fillUserData(kv, lookalike, 2);
    await kv.set(["counter", "messages"], new Deno.KvU64(9n));
    const before = await allKeys(kv);
    const keep = before.filter((key) => !key.includes(`"${alice}"`));

    const deleted = await deleteUserData(kv, alice);

    assert.equal(deleted, 1 + 1200 + 1);
    assert.equal(await getUser(kv, alice), null);
    for await (const entry of kv.list({ prefix: userPrefix(alice) })) {
      assert.fail(`left behind: ${JSON.stringify(entry.key)}`);
    }
    assert.deepEqual(await allKeys(kv), keep);
    assert.deepEqual((await getUser(kv, bob))?.jid, bob);
    assert.deepEqual((await getUser(kv, lookalike))?.jid, lookalike);
    assert.deepEqual(
      (await listUsers(kv)).map((user) => user.jid).sort(),
      [bob, lookalike].sort(),
    );
  });
});

Deno.test("deleting a user who is not registered removes nothing", async () => {
  await withKv(async (kv) => {
    await putUser(kv, record("bob@example.org"));
    await fillUserData(kv, "bob@example.org", 3);
    const before = await allKeys(kv);
    await deleteUserData(kv, "ghost@example.org");
    assert.deepEqual(await allKeys(kv), before);
  });
});

Deno.test("a deletion cut short leaves the user registered so that a retry finishes it", async () => {
  await withKv(async (kv) => {
    const alice = "alice@example.org";
    await putUser(kv, record(alice));
    await fillUserData(kv, alice, 1200);
    let commits = 0;
    const failing = {
      list: kv.list.bind(kv),
      atomic: () => {
        const op = kv.atomic();
        const commit = op.commit.bind(op);
        op.commit = () => {
          commits++;
          if (commits === 2) return Promise.reject(new Error("simulated crash"));
          return commit();
        };
        return op;
      },
    } as unknown as Deno.Kv;

    await assert.rejects(() => deleteUserData(failing, alice), /simulated crash/);
    assert.equal((await getUser(kv, alice))?.jid, alice, "unregistered with data left behind");

    await deleteUserData(kv, alice);
    assert.equal(await getUser(kv, alice), null);
    assert.deepEqual(await allKeys(kv), []);
  });
});

Deno.test("updating a user changes their record atomically and never creates one", async () => {
  await withKv(async (kv) => {
    assert.equal(await updateUser(kv, "nobody@example.org", (r) => r), null);
    assert.deepEqual(await listUsers(kv), []);

    await putUser(kv, record("alice@example.org"));
    // Two read-modify-writes racing: each change function reruns on a conflict, none is lost.
    await Promise.all([
      updateUser(kv, "alice@example.org", (r) => ({
        ...r,
        preferences: { ...r.preferences, a: true },
      })),
      updateUser(kv, "alice@example.org", (r) => ({
        ...r,
        messengerSession: new Secret("cookies"),
      })),
    ]);
    const stored = await getUser(kv, "alice@example.org");
    assert.deepEqual(stored?.preferences, { a: true });
    assert.equal(stored?.messengerSession?.reveal(), "cookies");
  });
});
