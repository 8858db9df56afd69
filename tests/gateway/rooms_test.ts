/**
 * The room side of the core on the simulated network: history fetched from Messenger into a
 * room's archive once (never twice, also across restarts), join history limits, nicks, and admin
 * roles asked from XMPP.
 */
import assert from "node:assert/strict";
import { asThreadId, asUserId } from "../../src/messenger/ids.ts";
import { MessageRefused } from "../../src/gateway/outgoing_messages.ts";
import type { RoomAction } from "../../src/gateway/rooms.ts";
import type { Chat, RoomChange } from "../../src/gateway/xmpp_port.ts";
import { parseCookies } from "../../src/messenger/credentials.ts";
import { putUser } from "../../src/store/user_records.ts";
import { putGroup } from "../../src/store/conversations.ts";
import { Secret } from "../../src/secret.ts";
import { ALICE, testCore } from "./_core.ts";
import { NullXmppPort } from "./_null_port.ts";
import { waitUntil } from "../_wait.ts";

/** Alice's account, as registered below (cookie login). */
const ALICE_ACCOUNT = `[[account]]
email = "alice@example.com"
password = "correct horse"
cookies = "c_user=100001; xs=abc"
user_id = "100001"
name = "Alice Example"`;

const WORLD = `${ALICE_ACCOUNT}
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
function core(
  kv: Deno.Kv | undefined,
  before?: Parameters<typeof testCore>[1]["beforeStart"],
  port = new NullXmppPort(),
  world = WORLD,
) {
  return testCore(port, {
    world,
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

/** A port that records what changes in rooms. */
class RoomChangesPort extends NullXmppPort {
  readonly changes: RoomChange[] = [];
  override roomChanged(_chat: Chat, change: RoomChange): Promise<void> {
    this.changes.push(change);
    return Promise.resolve();
  }
}

Deno.test("an admin role asked from XMPP is set on Messenger, and the room follows Messenger's event once", async () => {
  const port = new RoomChangesPort();
  await using c = await core(undefined, undefined, port);
  const session = c.gateway.session(ALICE)!;
  await session.whenConnected(10_000);
  await session.afterLoginSyncs();
  const affiliations = () =>
    port.changes.flatMap((change) =>
      change.kind === "affiliation" ? [[change.occupant.nick, change.occupant.admin]] : []
    );
  const until = (count: number) =>
    waitUntil(() => affiliations().length >= count, `${count} affiliation changes`);
  const refused = (action: RoomAction) =>
    c.port.roomAction(ALICE, HIKING, action).then(
      () => assert.fail("not refused"),
      (error: unknown) => {
        assert.ok(error instanceof MessageRefused, String(error));
        return error.failure;
      },
    );

  // By nick (any case), then by Messenger id (a JID): Bob becomes an admin, then a member.
  await c.port.roomAction(ALICE, HIKING, {
    kind: "admin",
    member: { nick: "bob builder" },
    admin: true,
  });
  await until(1);
  await c.port.roomAction(ALICE, HIKING, {
    kind: "admin",
    member: { user: asUserId("200002") },
    admin: false,
  });
  await until(2);
  // The second change came after the first: the first was shown once, not twice.
  assert.deepEqual(affiliations(), [["Bob Builder", true], ["Bob Builder", false]]);
  const calls = c.network.control.operations("100001").operations.filter((op) =>
    op.method === "setGroupAdmin"
  );
  assert.deepEqual(calls.map((op) => op.method === "setGroupAdmin" && [op.user, op.admin]), [
    ["200002", true],
    ["200002", false],
  ]);

  // Nobody of that nick, someone outside the group: item_not_found, Messenger not asked.
  assert.deepEqual(await refused({ kind: "admin", member: { nick: "Zed" }, admin: true }), {
    kind: "item_not_found",
    text: "Nobody in this group is called Zed",
  });
  assert.equal(
    (await refused({ kind: "admin", member: { user: asUserId("200001") }, admin: true })).kind,
    "item_not_found",
  );

  // Bob, made an admin on Messenger, takes Alice's role away: her attempts are refused there.
  await c.network.control.inject("100001", {
    type: "admins_changed",
    author: "100001",
    thread: "900001",
    user: "200002",
    admin: true,
  });
  await c.network.control.inject("100001", {
    type: "admins_changed",
    author: "200002",
    thread: "900001",
    user: "100001",
    admin: false,
  });
  await until(4);
  const notAdmin = await refused({ kind: "admin", member: { nick: "Bob Builder" }, admin: false });
  assert.equal(notAdmin.kind, "not_allowed");
  assert.match(notAdmin.text, /^Messenger refused: .*Only a group admin can make or unmake admins/);
  assert.equal(c.network.control.operations("100001").operations.at(-1)?.error, "bad_request");
});

/** The Hiking club where Bob (a friend) and Carla (not one) have pictures, Dan has none. */
const PICTURES_WORLD = `${ALICE_ACCOUNT}
  [[account.friend]]
  id = "200002"
  name = "Bob Builder"
  avatar_url = "https://cdn.example/bob.jpg"
  [[account.group]]
  id = "900001"
  name = "Hiking club"
  members = ["200002", "300001", "400004"]

[[user]]
id = "300001"
name = "Carla Stranger"
avatar_url = "https://cdn.example/carla.jpg"

[[user]]
id = "400004"
name = "Dan Nobody"
`;

Deno.test("occupants carry their Messenger pictures: a contact's card, or what Messenger says of the others", async () => {
  const kv = await Deno.openKv(":memory:");
  try {
    // Stored by a gateway that did not keep pictures yet: the login's refresh brings them.
    await putGroup(kv, ALICE, {
      thread: "900001",
      name: "Hiking club",
      members: [
        { id: "200002", name: "Bob Builder" },
        { id: "300001", name: "Carla Stranger" },
        { id: "400004", name: "Dan Nobody" },
      ],
      updatedAt: 1,
    });
    await using c = await core(kv, undefined, undefined, PICTURES_WORLD);
    const session = c.gateway.session(ALICE)!;
    await session.whenConnected(10_000);
    await session.afterLoginSyncs();
    let shown: [string, string | undefined][] = [];
    await c.port.joinRoom(ALICE, HIKING, {}, (room) => {
      shown = room.occupants.map((occupant) => [occupant.nick, occupant.avatarUrl]);
      return Promise.resolve();
    });
    assert.deepEqual(shown, [
      ["Alice Example", undefined],
      ["Bob Builder", "https://cdn.example/bob.jpg"],
      ["Carla Stranger", "https://cdn.example/carla.jpg"],
      ["Dan Nobody", undefined],
    ]);
    // The vCard side sees the same.
    const info = await c.port.roomInfo(ALICE, HIKING);
    assert.equal(info?.members[2].avatarUrl, "https://cdn.example/carla.jpg");
    // Messenger was asked in one call, at login, about the members without a known picture; the
    // friend's comes from the contact list.
    const asked = c.network.control.operations("100001").operations.flatMap((op) =>
      op.method === "getUserInfo" ? [op.users] : []
    );
    assert.deepEqual(asked, [["300001", "400004"]]);
  } finally {
    kv.close();
  }
});
