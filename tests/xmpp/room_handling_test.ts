/**
 * Members' own pictures in a room, stanza in → stanza out through the router: a join shows each
 * member's picture hash (or an empty photo, or nothing yet and the hash later), and a vCard asked
 * of `room/nick` is that member's, with their picture; unknown nicks and other people's rooms are
 * item-not-found.
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import type { GatewayCore, RoomInfo, RoomSnapshot } from "../../src/gateway/core_port.ts";
import type { Occupant } from "../../src/gateway/group_members.ts";
import { asThreadId, asUserId } from "../../src/messenger/ids.ts";
import { AvatarCache } from "../../src/xmpp/avatar_cache.ts";
import type { FetchedImage } from "../../src/xmpp/image_fetch.ts";
import { RoomOccupancy } from "../../src/xmpp/room_occupancy.ts";
import { RoomSenders } from "../../src/xmpp/room_senders.ts";
import { registerRoomHandling } from "../../src/xmpp/room_handling.ts";
import type { Element } from "../../src/xmpp/xml.ts";
import { errorCondition, errorText, parse, recordingRouter } from "./_stanzas.ts";

const GW = "facebook.example.org";
const ALICE = "alice@example.org";
const LAPTOP = `${ALICE}/laptop`;
/** Another registered user, not in Alice's group. */
const MALLORY = "mallory@example.org";
const HIKING = asThreadId("900001");
const ROOM = `900001@${GW}`;
const BOB_PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 2]);
const DAN_PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 4]);
const sha1 = (data: Uint8Array) => createHash("sha1").update(data).digest("hex");

const MEMBERS: Occupant[] = [
  {
    id: asUserId("100001"),
    name: "Alice Example",
    nick: "Alice Example",
    admin: true,
    self: true,
    avatarUrl: "http://img/alice.png",
  },
  {
    id: asUserId("200002"),
    name: "Bob Builder",
    nick: "Bob Builder",
    admin: false,
    self: false,
    avatarUrl: "http://img/bob.png",
  },
  { id: asUserId("300001"), name: "Carla", nick: "Carla", admin: false, self: false },
  {
    id: asUserId("400004"),
    name: "Dan",
    nick: "Dan",
    admin: false,
    self: false,
    avatarUrl: "http://img/dan.png",
  },
];

/** The room handlers over a core that knows the Hiking club; Dan's picture waits for `dan()`. */
async function setup() {
  const { router, sent } = recordingRouter({
    domain: GW,
    isRegistered: (jid) => jid === ALICE || jid === MALLORY,
    classify: () => "room",
  });
  const dan = Promise.withResolvers<FetchedImage>();
  const avatars = new AvatarCache({
    fetch: (url) =>
      url === "http://img/bob.png"
        ? Promise.resolve({ type: "image/png", data: BOB_PNG })
        : url === "http://img/dan.png"
        ? dan.promise
        : Promise.reject(new Error(`unexpected ${url}`)),
  });
  // Bob's picture is known already (say, as a contact's).
  await avatars.get(MEMBERS[1].id, MEMBERS[1].avatarUrl);
  const occupancy = new RoomOccupancy();
  /** Runs as each stanza is sent, before the sender goes on (set by a test). */
  const hooks: { onSend?: (stanza: Element) => Promise<void> } = {};
  const send = async (stanza: Element) => {
    sent.push(stanza);
    await hooks.onSend?.(stanza);
  };
  const rooms = new RoomSenders({ domain: GW, send, occupancy, avatars });
  const dispatched: Promise<void>[] = [];
  avatars.onChange((owner, hint) => dispatched.push(rooms.avatarChanged(owner, hint)));
  const info: RoomInfo = { thread: HIKING, name: "Hiking club", occupants: 4, members: MEMBERS };
  const snapshot: RoomSnapshot = {
    thread: HIKING,
    name: "Hiking club",
    occupants: MEMBERS,
    self: MEMBERS[0],
    history: [],
  };
  const core = {
    joinRoom: async (
      user: string,
      thread: unknown,
      _history: unknown,
      show: (room: RoomSnapshot) => Promise<void>,
    ) => {
      if (user !== ALICE || thread !== HIKING) return false;
      await show(snapshot);
      return true;
    },
    roomInfo: (user: string, thread: unknown) =>
      Promise.resolve(user === ALICE && thread === HIKING ? info : undefined),
  } as unknown as GatewayCore;
  registerRoomHandling(router, { domain: GW, core, occupancy, rooms, avatars, send });
  return { router, sent, rooms, dan, dispatched, hooks };
}

function photoOf(presence: Element): string | undefined | null {
  const x = presence.getChild("x", "vcard-temp:x:update");
  if (!x) return undefined;
  const photo = x.getChild("photo");
  return photo ? photo.text() : null;
}

const vcardIq = (to: string, from = LAPTOP) =>
  parse(`<iq type="get" id="v1" from="${from}" to="${to}"><vCard xmlns="vcard-temp"/></iq>`);

Deno.test("a join shows each member's own picture: its hash, an empty photo, or the hash once fetched", async () => {
  const { router, sent, rooms, dan, dispatched } = await setup();
  await router.handle(
    parse(
      `<presence from="${LAPTOP}" to="${ROOM}/Alice Example"><x xmlns="http://jabber.org/protocol/muc"/></presence>`,
    ),
  );
  const presences = sent.filter((stanza) => stanza.is("presence"));
  assert.deepEqual(
    presences.map((presence) => [presence.attrs.from, photoOf(presence)]),
    [
      [`${ROOM}/Bob Builder`, sha1(BOB_PNG)],
      [`${ROOM}/Carla`, ""],
      [`${ROOM}/Dan`, null],
      // The user's own presence says nothing of their picture.
      [`${ROOM}/Alice Example`, undefined],
    ],
  );
  assert.equal(rooms.pendingAvatars, 1);

  const before = sent.length;
  dan.resolve({ type: "image/png", data: DAN_PNG });
  while (dispatched.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  await Promise.all(dispatched);
  const again = sent.slice(before);
  assert.equal(again.length, 1, again.join("\n"));
  assert.equal(again[0].attrs.from, `${ROOM}/Dan`);
  assert.equal(again[0].attrs.to, LAPTOP);
  assert.equal(photoOf(again[0]), sha1(DAN_PNG));
  assert.equal(
    again[0].getChild("x", "http://jabber.org/protocol/muc#user")?.getChild("item")?.attrs.jid,
    `400004@${GW}`,
  );
  assert.equal(
    again[0].getChild("occupant-id")?.attrs.id,
    presences[2].getChild("occupant-id")?.attrs.id,
  );
});

Deno.test("a picture fetched while the join's stanzas are sent still reaches the joining resource", async () => {
  const { router, sent, rooms, dan, dispatched, hooks } = await setup();
  // Dan's presence went out without his picture; it arrives before the join is complete, when
  // the resource is not counted in the room yet.
  hooks.onSend = async (stanza) => {
    if (stanza.attrs.from !== `${ROOM}/Alice Example`) return;
    hooks.onSend = undefined;
    dan.resolve({ type: "image/png", data: DAN_PNG });
    while (dispatched.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await Promise.all(dispatched);
  };
  await router.handle(
    parse(
      `<presence from="${LAPTOP}" to="${ROOM}/Alice Example"><x xmlns="http://jabber.org/protocol/muc"/></presence>`,
    ),
  );
  const dans = sent.filter((stanza) =>
    stanza.is("presence") && stanza.attrs.from === `${ROOM}/Dan`
  );
  assert.deepEqual(dans.map(photoOf), [null, sha1(DAN_PNG)]);
  assert.equal(dans[1].attrs.to, LAPTOP);
  assert.equal(rooms.pendingAvatars, 0);
});

Deno.test("a vCard asked of room/nick is that member's: name, nick and picture", async () => {
  const { router, sent } = await setup();
  // Nicks compare case-insensitively, as everywhere in the room.
  await router.handle(vcardIq(`${ROOM}/bob builder`));
  const reply = sent[0];
  assert.equal(reply.attrs.type, "result", reply.toString());
  const vcard = reply.getChild("vCard", "vcard-temp")!;
  assert.equal(vcard.getChildText("FN"), "Bob Builder");
  assert.equal(vcard.getChildText("NICKNAME"), "Bob Builder");
  assert.equal(vcard.getChild("PHOTO")?.getChildText("TYPE"), "image/png");
  const binval = vcard.getChild("PHOTO")?.getChildText("BINVAL") ?? "";
  assert.equal(sha1(new Uint8Array(Buffer.from(binval, "base64"))), sha1(BOB_PNG));

  // Without a picture: a vCard without PHOTO.
  await router.handle(vcardIq(`${ROOM}/Carla`));
  assert.equal(sent[1].attrs.type, "result");
  assert.equal(sent[1].getChild("vCard")?.getChildText("FN"), "Carla");
  assert.equal(sent[1].getChild("vCard")?.getChild("PHOTO"), undefined);

  // The room's own vCard is still the group's.
  await router.handle(vcardIq(ROOM));
  assert.equal(sent[2].getChild("vCard")?.getChildText("FN"), "Hiking club");
});

Deno.test("a vCard of an unknown nick, or in someone else's room, is item-not-found", async () => {
  const { router, sent } = await setup();
  await router.handle(vcardIq(`${ROOM}/Nobody`));
  assert.equal(errorCondition(sent[0]), "item-not-found");
  assert.equal(errorText(sent[0]), "Nobody in this group is called Nobody");
  // Another user asks of Alice's room, and Alice of a room that is not hers.
  await router.handle(vcardIq(`${ROOM}/Bob Builder`, `${MALLORY}/x`));
  await router.handle(vcardIq(`900002@${GW}/Bob Builder`));
  assert.equal(sent.length, 3, "one answer each");
  for (const answer of sent.slice(1)) {
    assert.equal(errorCondition(answer), "item-not-found");
    assert.match(errorText(answer) ?? "", /not one of your groups/);
    assert.equal(answer.getChild("vCard")?.getChild("PHOTO"), undefined);
  }
});
