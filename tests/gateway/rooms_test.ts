/**
 * The room side of the core on the simulated network: history fetched from Messenger into a
 * room's archive once (never twice, also across restarts), join history limits, and nicks.
 */
import assert from "node:assert/strict";
import { asThreadId } from "../../src/messenger/ids.ts";
import { parseCookies } from "../../src/messenger/credentials.ts";
import { putUser } from "../../src/store/user_records.ts";
import { Secret } from "../../src/secret.ts";
import { ALICE, testCore } from "./_core.ts";
import { NullXmppPort } from "./_null_port.ts";

const WORLD = `[[account]]
email = "alice@example.com"
password = "correct horse"
cookies = "c_user=100001; xs=abc"
user_id = "100001"
name = "Alice Example"
  [[account.friend]]
  id = "200002"
  name = "Bob Builder"
  [[account.group]]
  id = "900001"
  name = "Hiking club"
  members = ["200002", "300001"]

[[user]]
id = "300001"
name = "Alice Example"
`;
const HIKING = asThreadId("900001");

/** A core whose Alice is registered from an earlier run; `before` runs on the network first. */
function core(kv: Deno.Kv | undefined, before?: Parameters<typeof testCore>[1]["beforeStart"]) {
  return testCore(new NullXmppPort(), {
    world: WORLD,
    ...(kv ? { kv } : {}),
    seed: (store) =>
      putUser(store, {
        jid: ALICE,
        registeredAt: 1,
        preferences: {},
        messengerSession: new Secret(JSON.stringify(parseCookies("c_user=100001; xs=abc"))),
      }),
    ...(before ? { beforeStart: before } : {}),
  });
}

Deno.test("the first join fetches history from Messenger into the archive once, never twice", async () => {
  const path = await Deno.makeTempFile({ suffix: ".kv" });
  try {
    const kv = await Deno.openKv(path);
    {
      // Written on Messenger before the gateway ever saw the group.
      await using c = await core(kv, (network) => {
        for (const text of ["one", "two", "three"]) {
          void network.control.inject("100001", {
            type: "message",
            sender: "200002",
            thread: "900001",
            text,
          });
        }
      });
      const session = c.gateway.session(ALICE)!;
      await session.whenConnected(10_000);
      await session.afterLoginSyncs();
      const snapshot = (history: { maxStanzas?: number; maxChars?: number } = {}) =>
        c.port.joinRoom(ALICE, HIKING, history, () => Promise.resolve()).then(() =>
          session.conversations.open({ thread: HIKING, kind: "group" }).archive.recent(50)
        );
      assert.deepEqual((await snapshot()).map((m) => m.text), ["one", "two", "three"]);
      assert.deepEqual((await snapshot()).map((m) => m.text), ["one", "two", "three"]);
      const fetched = c.network.control.operations("100001").operations.filter((op) =>
        op.method === "getHistory"
      );
      assert.equal(fetched.length, 1, "history is fetched once");
      // Nicks: the account keeps its name; a namesake member gets "(2)".
      const [first] = await session.conversations.open({ thread: HIKING, kind: "group" })
        .archive.recent(1);
      assert.equal(first.nick, "Bob Builder");
      let shown: string[] = [];
      await c.port.joinRoom(ALICE, HIKING, {}, (room) => {
        shown = room.occupants.map((occupant) => occupant.nick);
        return Promise.resolve();
      });
      assert.deepEqual(shown, ["Alice Example", "Bob Builder", "Alice Example (2)"]);
    }
    // After a restart: no second fetch.
    {
      await using c = await core(kv);
      const session = c.gateway.session(ALICE)!;
      await session.whenConnected(10_000);
      await c.port.joinRoom(ALICE, HIKING, {}, () => Promise.resolve());
      assert.ok(
        !c.network.control.operations("100001").operations.some((op) => op.method === "getHistory"),
      );
    }
    kv.close();
  } finally {
    await Deno.remove(path).catch(() => {});
  }
});
