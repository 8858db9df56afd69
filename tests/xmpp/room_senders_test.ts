/**
 * Members' own pictures in room presences (XEP-0153 in XEP-0045 occupant presences): the hash
 * when known, an empty photo for none, and, for a picture still being fetched, the same presence
 * sent again to every joined resource once it is — never for a member who left, a room nobody
 * is in any more, nor beyond the bound on waiting presences.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Chat, Occupant } from "../../src/gateway/xmpp_port.ts";
import { asThreadId, asUserId } from "../../src/messenger/ids.ts";
import { AvatarCache } from "../../src/xmpp/avatar_cache.ts";
import type { FetchedImage } from "../../src/xmpp/image_fetch.ts";
import { ImageFetchError } from "../../src/xmpp/image_fetch.ts";
import { RoomOccupancy } from "../../src/xmpp/room_occupancy.ts";
import { RoomSenders } from "../../src/xmpp/room_senders.ts";
import type { Element } from "../../src/xmpp/xml.ts";

const GW = "facebook.example.org";
const ALICE = "alice@example.org";
const HIKING = asThreadId("900001");
const ROOM = `900001@${GW}`;
const CHAT: Chat = { user: ALICE, conversation: { thread: HIKING, kind: "group" } };
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
const SHA1 = createHash("sha1").update(PNG).digest("hex");

function member(id: string, nick: string, avatarUrl?: string, admin = false): Occupant {
  return {
    id: asUserId(id),
    name: nick,
    nick,
    admin,
    self: false,
    ...(avatarUrl ? { avatarUrl } : {}),
  };
}

/**
 * Room senders over an avatar cache whose downloads wait until the test settles them
 * (`settle(url)` serves the PNG, `fail(url)` a 404); `changes()` resolves once every reported
 * outcome was sent on (the positive signal that a re-send happened or was rightly left out).
 */
function setup(options: { maxPendingAvatars?: number } = {}) {
  const sent: Element[] = [];
  const downloads = new Map<string, PromiseWithResolvers<FetchedImage>>();
  const download = (url: string) => {
    let pending = downloads.get(url);
    if (!pending) downloads.set(url, pending = Promise.withResolvers<FetchedImage>());
    return pending;
  };
  const avatars = new AvatarCache({ fetch: (url) => download(url).promise });
  const occupancy = new RoomOccupancy();
  const rooms = new RoomSenders({
    domain: GW,
    send: (stanza) => Promise.resolve(void sent.push(stanza)),
    occupancy,
    avatars,
    ...options,
  });
  const dispatched: Promise<void>[] = [];
  avatars.onChange((owner, hint) => dispatched.push(rooms.avatarChanged(owner, hint)));
  occupancy.join(ALICE, HIKING, "laptop", "Alice Example");
  occupancy.join(ALICE, HIKING, "phone", "Alice Example");
  return {
    sent,
    rooms,
    occupancy,
    settle: (url: string) => download(url).resolve({ type: "image/png", data: PNG }),
    fail: (url: string) => download(url).reject(new ImageFetchError("HTTP 404")),
    changes: async (count: number) => {
      while (dispatched.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
      await Promise.all(dispatched);
    },
  };
}

function presencesFrom(sent: Element[], nick: string): Element[] {
  return sent.filter((stanza) => stanza.is("presence") && stanza.attrs.from === `${ROOM}/${nick}`);
}

function photoOf(presence: Element): string | undefined | null {
  const x = presence.getChild("x", "vcard-temp:x:update");
  if (!x) return undefined;
  const photo = x.getChild("photo");
  return photo ? photo.text() : null;
}

Deno.test("a member who arrives with a picture being fetched gets it in a presence sent again to every resource", async () => {
  const { sent, rooms, settle, changes } = setup();
  const dan = member("400004", "Dan", "http://img/dan.png");
  await rooms.changed(CHAT, { kind: "joined", occupant: dan });
  const first = presencesFrom(sent, "Dan");
  assert.equal(first.length, 2, "one per resource");
  // Pending: the update element without a photo (XEP-0153: not ready to say).
  assert.deepEqual(first.map(photoOf), [null, null]);
  assert.equal(rooms.pendingAvatars, 1);

  settle("http://img/dan.png");
  await changes(1);
  const again = presencesFrom(sent, "Dan").slice(2);
  assert.deepEqual(again.map((presence) => presence.attrs.to), [
    `${ALICE}/laptop`,
    `${ALICE}/phone`,
  ]);
  assert.deepEqual(again.map(photoOf), [SHA1, SHA1]);
  for (const [index, presence] of again.entries()) {
    const before = first[index];
    assert.deepEqual(
      presence.getChild("x", "http://jabber.org/protocol/muc#user")?.getChild("item")?.attrs,
      before.getChild("x", "http://jabber.org/protocol/muc#user")?.getChild("item")?.attrs,
    );
    assert.equal(
      presence.getChild("occupant-id")?.attrs.id,
      before.getChild("occupant-id")?.attrs.id,
    );
  }
  assert.equal(rooms.pendingAvatars, 0);

  // Known now: the next arrival in another room says so at once, nothing waits.
  await rooms.changed(CHAT, { kind: "affiliation", occupant: { ...dan, admin: true } });
  assert.deepEqual(presencesFrom(sent, "Dan").slice(4).map(photoOf), [SHA1, SHA1]);
  assert.equal(rooms.pendingAvatars, 0);
});

Deno.test("a member without a picture gets an empty photo; the user's own presence says nothing", async () => {
  const { sent, rooms } = setup();
  await rooms.changed(CHAT, { kind: "joined", occupant: member("300001", "Carla") });
  assert.deepEqual(presencesFrom(sent, "Carla").map(photoOf), ["", ""]);
  await rooms.changed(CHAT, {
    kind: "affiliation",
    occupant: { ...member("100001", "Alice Example", "http://img/alice.png", true), self: true },
  });
  assert.deepEqual(presencesFrom(sent, "Alice Example").map(photoOf), [undefined, undefined]);
  assert.equal(rooms.pendingAvatars, 0);
});

Deno.test("an admin role announced while the picture is fetched is sent again as an owner with the same jid", async () => {
  const { sent, rooms, settle, changes } = setup();
  const bob = member("200002", "Bob Builder", "http://img/bob.png", true);
  await rooms.changed(CHAT, { kind: "affiliation", occupant: bob });
  settle("http://img/bob.png");
  await changes(1);
  const again = presencesFrom(sent, "Bob Builder").slice(2);
  assert.deepEqual(again.map(photoOf), [SHA1, SHA1]);
  const item = again[0].getChild("x", "http://jabber.org/protocol/muc#user")?.getChild("item");
  assert.deepEqual(item?.attrs, { affiliation: "owner", role: "moderator", jid: `200002@${GW}` });
});

Deno.test("a picture that cannot be fetched is announced as none", async () => {
  const { sent, rooms, fail, changes } = setup();
  await rooms.changed(CHAT, { kind: "joined", occupant: member("400004", "Dan", "http://img/x") });
  fail("http://img/x");
  await changes(1);
  assert.deepEqual(presencesFrom(sent, "Dan").map(photoOf), [null, null, "", ""]);
  assert.equal(rooms.pendingAvatars, 0);
});

Deno.test("no presence is sent again for a member who left, nor in a room nobody is in any more", async () => {
  const { sent, rooms, occupancy, settle, changes } = setup();
  const dan = member("400004", "Dan", "http://img/dan.png");
  const erin = member("500005", "Erin", "http://img/erin.png");
  await rooms.changed(CHAT, { kind: "joined", occupant: dan });
  await rooms.changed(CHAT, { kind: "joined", occupant: erin });
  assert.equal(rooms.pendingAvatars, 2);

  await rooms.changed(CHAT, { kind: "left", occupant: dan });
  assert.equal(rooms.pendingAvatars, 1);
  occupancy.leave(ALICE, HIKING, "laptop");
  assert.equal(rooms.pendingAvatars, 1, "the phone is still in the room");
  occupancy.leave(ALICE, HIKING, "phone");
  assert.equal(rooms.pendingAvatars, 0);

  // Back in the room before the pictures arrive: nothing stale is sent.
  occupancy.join(ALICE, HIKING, "laptop", "Alice Example");
  const before = sent.length;
  settle("http://img/dan.png");
  settle("http://img/erin.png");
  await changes(2);
  assert.deepEqual(sent.slice(before).map((stanza) => stanza.toString()), []);
});

Deno.test("the presences waiting for pictures are bounded: the longest waiting are dropped", async () => {
  const { sent, rooms, settle, changes } = setup({ maxPendingAvatars: 2 });
  for (const [id, nick] of [["400004", "Dan"], ["500005", "Erin"], ["600006", "Fay"]]) {
    await rooms.changed(CHAT, {
      kind: "joined",
      occupant: member(id, nick, `http://img/${nick}.png`),
    });
  }
  assert.equal(rooms.pendingAvatars, 2);
  for (const nick of ["Dan", "Erin", "Fay"]) settle(`http://img/${nick}.png`);
  await changes(3);
  assert.equal(presencesFrom(sent, "Dan").length, 2, "Dan's was dropped: not sent again");
  assert.equal(presencesFrom(sent, "Erin").length, 4);
  assert.equal(presencesFrom(sent, "Fay").length, 4);
  assert.equal(rooms.pendingAvatars, 0);
});

Deno.test("a reset of the rooms (connection lost) forgets what waited", async () => {
  const { rooms, occupancy } = setup();
  await rooms.changed(CHAT, { kind: "joined", occupant: member("400004", "Dan", "http://i/d") });
  assert.equal(rooms.pendingAvatars, 1);
  occupancy.reset();
  assert.equal(rooms.pendingAvatars, 0);
});
