/**
 * XEP-0045 muc#admin on a room, stanza in → stanza out through the router: kicks, admin roles
 * given and taken by nick or JID, what Messenger has no counterpart for, the affiliation lists,
 * and refusals from the core as error stanzas.
 */

import assert from "node:assert/strict";
import type { GatewayCore, RoomAction, RoomInfo } from "../../src/gateway/core_port.ts";
import type { Occupant } from "../../src/gateway/group_members.ts";
import { MessageRefused } from "../../src/gateway/outgoing_messages.ts";
import { asThreadId, asUserId } from "../../src/messenger/ids.ts";
import { RoomOccupancy } from "../../src/xmpp/room_occupancy.ts";
import type { RoomSenders } from "../../src/xmpp/room_senders.ts";
import { registerRoomHandling } from "../../src/xmpp/room_handling.ts";
import type { Element } from "../../src/xmpp/xml.ts";
import { errorCondition, errorText, parse, recordingRouter } from "./_stanzas.ts";

const GW = "facebook.example.org";
const ALICE = "alice@example.org";
const LAPTOP = `${ALICE}/laptop`;
const HIKING = asThreadId("900001");
const ROOM = `900001@${GW}`;
const NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin";

const MEMBERS: Occupant[] = [
  { id: asUserId("100001"), name: "Alice Example", nick: "Alice Example", admin: true, self: true },
  { id: asUserId("200002"), name: "Bob Builder", nick: "Bob Builder", admin: true, self: false },
  { id: asUserId("300001"), name: "Carla", nick: "Carla", admin: false, self: false },
];

/** The room handlers over a core that records room actions and answers with `refuse` if given. */
function setup(refuse?: MessageRefused) {
  const { router, sent } = recordingRouter({
    domain: GW,
    isRegistered: (jid) => jid === ALICE,
    classify: () => "room",
  });
  const actions: RoomAction[] = [];
  const info: RoomInfo = { thread: HIKING, name: "Hiking club", occupants: 3, members: MEMBERS };
  const core = {
    roomAction: (_user: string, _thread: unknown, action: RoomAction) => {
      actions.push(action);
      return refuse ? Promise.reject(refuse) : Promise.resolve();
    },
    roomInfo: (_user: string, thread: unknown) =>
      Promise.resolve(thread === HIKING ? info : undefined),
  } as unknown as GatewayCore;
  const occupancy = new RoomOccupancy();
  occupancy.join(ALICE, HIKING, "laptop", "Alice Example");
  registerRoomHandling(router, {
    domain: GW,
    core,
    occupancy,
    rooms: {} as RoomSenders,
    send: (stanza) => void sent.push(stanza),
  });
  /** Sends a muc#admin iq with these items from `from`; returns the one answer. */
  const admin = async (type: "get" | "set", items: string, from = LAPTOP): Promise<Element> => {
    const before = sent.length;
    await router.handle(
      parse(
        `<iq type="${type}" id="a1" from="${from}" to="${ROOM}"><query xmlns="${NS_MUC_ADMIN}">${items}</query></iq>`,
      ),
    );
    const answers = sent.slice(before);
    assert.equal(answers.length, 1, `one answer: ${answers.join("\n")}`);
    return answers[0];
  };
  return { admin, actions };
}

Deno.test("owner and admin affiliations make a member a Messenger admin, member takes it away", async () => {
  const { admin, actions } = setup();
  for (
    const item of [
      `<item affiliation="owner" nick="Carla"/>`,
      `<item affiliation="admin" jid="300001@${GW}"/>`,
      `<item affiliation="member" jid="200002@${GW}/phone" nick="ignored"/>`,
      // The user's own JID names the user: stepping down.
      `<item affiliation="member" jid="${ALICE}"/>`,
      `<item role="none" nick="Carla"/>`,
    ]
  ) {
    const answer = await admin("set", item);
    assert.equal(answer.attrs.type, "result", answer.toString());
  }
  assert.deepEqual(actions, [
    { kind: "admin", member: { nick: "Carla" }, admin: true },
    { kind: "admin", member: { user: "300001" }, admin: true },
    { kind: "admin", member: { user: "200002" }, admin: false },
    { kind: "admin", member: { nick: "Alice Example" }, admin: false },
    { kind: "kick", nick: "Carla" },
  ]);
});

Deno.test("what Messenger cannot do is refused with a sentence, and the core is not asked", async () => {
  const { admin, actions } = setup();
  const cases: [string, string, RegExp][] = [
    [`<item affiliation="outcast" jid="300001@${GW}"/>`, "feature-not-implemented", /no bans/],
    [`<item affiliation="none" nick="Carla"/>`, "feature-not-implemented", /kick them/],
    [
      `<item role="moderator" nick="Carla"/>`,
      "feature-not-implemented",
      /Roles follow Messenger.s admins/,
    ],
    [`<item affiliation="king" nick="Carla"/>`, "bad-request", /Unknown affiliation/],
    [`<item affiliation="owner"/>`, "bad-request", /jid or a nick/],
    [`<item affiliation="owner" jid="bob@example.org"/>`, "item-not-found", /@facebook/],
    [`<item role="none" nick="A"/><item role="none" nick="B"/>`, "bad-request", /exactly one/],
  ];
  for (const [items, condition, text] of cases) {
    const answer = await admin("set", items);
    assert.equal(errorCondition(answer), condition, answer.toString());
    assert.match(errorText(answer) ?? "", text);
  }
  assert.deepEqual(actions, []);
  // A resource that has not joined cannot change anything.
  const outside = await admin("set", `<item affiliation="owner" nick="Carla"/>`, `${ALICE}/phone`);
  assert.equal(errorCondition(outside), "not-acceptable");
});

Deno.test("Messenger's refusal comes back as the core words it", async () => {
  const { admin } = setup(
    new MessageRefused({
      kind: "not_allowed",
      text: "Messenger refused: Only a group admin can make or unmake admins",
    }),
  );
  const answer = await admin("set", `<item affiliation="owner" nick="Carla"/>`);
  assert.equal(answer.attrs.type, "error");
  assert.equal(errorCondition(answer), "not-allowed");
  assert.match(errorText(answer) ?? "", /Only a group admin/);
});

Deno.test("the owner list is the admins, the member list the others; admin and outcast are empty", async () => {
  const { admin } = setup();
  const list = async (affiliation: string) =>
    (await admin("get", `<item affiliation="${affiliation}"/>`)).getChild("query")
      ?.getChildren("item").map((
        item,
      ) => [item.attrs.affiliation, item.attrs.jid, item.attrs.nick]);
  assert.deepEqual(await list("owner"), [
    ["owner", ALICE, "Alice Example"],
    ["owner", `200002@${GW}`, "Bob Builder"],
  ]);
  assert.deepEqual(await list("member"), [["member", `300001@${GW}`, "Carla"]]);
  assert.deepEqual(await list("admin"), []);
  assert.deepEqual(await list("outcast"), []);
  const roleList = async (role: string) =>
    (await admin("get", `<item role="${role}"/>`)).getChild("query", NS_MUC_ADMIN)
      ?.getChildren("item").map((
        item,
      ) => [item.attrs.role, item.attrs.affiliation, item.attrs.nick]);
  assert.deepEqual(await roleList("moderator"), [
    ["moderator", "owner", "Alice Example"],
    ["moderator", "owner", "Bob Builder"],
  ]);
  assert.deepEqual(await roleList("participant"), [["participant", "member", "Carla"]]);
  const visitors = await admin("get", `<item role="visitor"/>`);
  assert.equal(errorCondition(visitors), "feature-not-implemented");
});
