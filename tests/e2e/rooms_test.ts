/**
 * Messenger groups as XEP-0045 rooms, through a real Prosody with the gateway process on the
 * simulated network: discovery, joining from two resources, messages both ways with stable ids,
 * and the room's rules.
 */

import assert from "node:assert/strict";
import { connectClient, type TestClient, xml, type XmlElement } from "./_harness/client.ts";
import { AccountControl, aliceWorld, registeredAlice } from "./_harness/registered_alice.ts";
import { startGateway } from "./_harness/gateway.ts";
import { binvalSha1, servePictures } from "./_harness/picture_server.ts";
import { startProsody } from "./_harness/prosody.ts";
import { seededKv } from "./_harness/seeded_user.ts";
import { slixmppInRoom } from "./_harness/slix_muc.ts";

const NS_MUC = "http://jabber.org/protocol/muc";
const NS_MUC_USER = "http://jabber.org/protocol/muc#user";
const NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin";
const NS_SID = "urn:xmpp:sid:0";
const NS_OCCUPANT_ID = "urn:xmpp:occupant-id:0";

/** Alice's world with the Hiking club: Alice (admin), Bob and Carla (`carla`: more of her keys). */
function hikingClub(carla = ""): string {
  return aliceWorld(`
[[account.group]]
id = "900001"
name = "Hiking club"
members = ["200002", "300001"]

[[user]]
id = "300001"
name = "Carla Stranger"
${carla}
`);
}

const WORLD = hikingClub();

/** Joins `room` as `nick` and returns every stanza of the join, up to and including the subject. */
async function join(
  client: TestClient,
  room: string,
  nick: string,
  history?: Record<string, string>,
): Promise<XmlElement[]> {
  const id = `join-${crypto.randomUUID()}`;
  await client.send(
    xml(
      "presence",
      { to: `${room}/${nick}`, id },
      xml("x", { xmlns: NS_MUC }, history ? xml("history", history) : null),
    ),
  );
  const stanzas: XmlElement[] = [];
  while (true) {
    const stanza = await client.waitFor(
      (s) => s.attrs.from?.split("/")[0] === room,
      10_000,
      `the join of ${room}`,
    );
    stanzas.push(stanza);
    if (stanza.is("presence") && stanza.attrs.type === "error") return stanzas;
    if (stanza.is("message") && stanza.getChild("subject")) return stanzas;
  }
}

function statusCodes(presence: XmlElement): string[] {
  return presence.getChild("x", NS_MUC_USER)?.getChildren("status").map((s) =>
    s.attrs.code ?? ""
  ) ??
    [];
}

Deno.test("a Messenger group is a room: discovered, joined from two resources, chatting both ways", async () => {
  await using t = await registeredAlice({ world: WORLD, resource: "laptop" });
  const room = `900001@${t.gw}`;

  // Discovery: the gateway lists the room; the room describes itself.
  const items = await t.alice.iq(
    xml(
      "iq",
      { type: "get", to: t.gw },
      xml("query", { xmlns: "http://jabber.org/protocol/disco#items" }),
    ),
  );
  const listed = items.getChild("query")?.getChildren("item") ?? [];
  assert.deepEqual(listed.map((item) => [item.attrs.jid, item.attrs.name]), [[
    room,
    "Hiking club",
  ]]);
  const info = await t.alice.iq(
    xml(
      "iq",
      { type: "get", to: room },
      xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
    ),
  );
  assert.equal(info.attrs.type, "result", info.toString());
  const query = info.getChild("query")!;
  assert.deepEqual(query.getChild("identity")?.attrs, {
    category: "conference",
    type: "text",
    name: "Hiking club",
  });
  const features = query.getChildren("feature").map((f) => f.attrs.var);
  for (
    const feature of [
      NS_MUC,
      "muc_persistent",
      "muc_membersonly",
      "muc_nonanonymous",
      "muc_hidden",
      "urn:xmpp:mam:2",
      NS_OCCUPANT_ID,
      "http://jabber.org/protocol/muc#self-ping-optimization",
      "vcard-temp",
      NS_SID,
    ]
  ) assert.ok(features.includes(feature), `feature ${feature}`);
  const occupants = query.getChild("x")?.getChildren("field").find((f) =>
    f.attrs.var === "muc#roominfo_occupants"
  );
  assert.equal(occupants?.getChildText("value"), "3");

  // Join with another nick: the nick becomes the Messenger name (210).
  const joined = await join(t.alice, room, "ali");
  const presences = joined.filter((s) => s.is("presence"));
  assert.deepEqual(presences.map((p) => p.attrs.from), [
    `${room}/Bob Builder`,
    `${room}/Carla Stranger`,
    `${room}/Alice Example`,
  ]);
  const self = presences.at(-1)!;
  assert.deepEqual(statusCodes(self).sort(), ["100", "110", "210"]);
  assert.match(self.attrs.id ?? "", /^join-/);
  assert.equal(self.getChild("x", NS_MUC_USER)?.getChild("item")?.attrs.affiliation, "owner");
  assert.equal(
    presences[0].getChild("x", NS_MUC_USER)?.getChild("item")?.attrs.affiliation,
    "member",
  );
  assert.ok(presences[0].getChild("occupant-id", NS_OCCUPANT_ID)?.attrs.id);
  const subject = joined.at(-1)!;
  assert.equal(subject.getChildText("subject"), "Hiking club");

  // A second resource joins separately.
  await using phone = await connectClient(t.server, "alice", "alicepw", { resource: "phone" });
  await join(phone, room, "Alice Example");

  // Bob writes in the group: both resources get it from his occupant JID, with a stanza-id.
  const [bobs] = await t.control.inject({
    type: "message",
    actor: "200002",
    thread: "900001",
    text: "Saturday at 9?",
  });
  for (const client of [t.alice, phone]) {
    const message = await client.waitFor(
      (s) => s.is("message") && s.getChildText("body") === "Saturday at 9?",
      10_000,
      "Bob's group message",
    );
    assert.equal(message.attrs.type, "groupchat");
    assert.equal(message.attrs.from, `${room}/Bob Builder`);
    const stanzaId = message.getChildren("stanza-id").find((s) => s.attrs.by === room);
    assert.equal(stanzaId?.attrs.id, bobs.id);
  }

  // Alice answers from the laptop: Messenger gets it as a group message, and both resources
  // get the reflection with the client's id and origin-id kept.
  await t.alice.send(
    xml(
      "message",
      { type: "groupchat", to: room, id: "alice-1" },
      xml("body", {}, "Yes!"),
      xml("origin-id", { xmlns: NS_SID, id: "origin-1" }),
    ),
  );
  const sent = await t.control.waitOperation(
    "group send",
    (op) => op.method === "sendMessage" && op.text === "Yes!",
  );
  assert.equal(sent.thread, "900001");
  for (const client of [t.alice, phone]) {
    const reflected = await client.waitFor(
      (s) => s.is("message") && s.getChildText("body") === "Yes!",
      10_000,
      "the reflection",
    );
    assert.equal(reflected.attrs.from, `${room}/Alice Example`);
    assert.equal(reflected.attrs.id, "alice-1");
    assert.equal(reflected.getChild("origin-id", NS_SID)?.attrs.id, "origin-1");
    assert.equal(
      reflected.getChildren("stanza-id").find((s) => s.attrs.by === room)?.attrs.id,
      sent.messageId,
    );
  }

  // Self-ping: answered for the joined nick, refused otherwise.
  const ping = (to: string, client: TestClient) =>
    client.iq(xml("iq", { type: "get", to }, xml("ping", { xmlns: "urn:xmpp:ping" })));
  assert.equal((await ping(`${room}/Alice Example`, t.alice)).attrs.type, "result");
  await using outsider = await connectClient(t.server, "alice", "alicepw", { resource: "tablet" });
  const refused = await ping(`${room}/Alice Example`, outsider);
  assert.equal(refused.attrs.type, "error");
  assert.ok(refused.getChild("error")?.getChild("not-acceptable"));

  // A resource that has not joined cannot write.
  await outsider.send(
    xml("message", { type: "groupchat", to: room, id: "out-1" }, xml("body", {}, "hi?")),
  );
  const bounced = await outsider.waitFor(
    (s) => s.is("message") && s.attrs.type === "error" && s.attrs.id === "out-1",
    10_000,
    "the refusal",
  );
  assert.ok(bounced.getChild("error")?.getChild("not-acceptable"));
  assert.match(bounced.getChild("error")?.getChildText("text") ?? "", /not connected/);

  // A nick change is refused with an error presence; the stream stays up.
  await phone.send(xml("presence", { to: `${room}/Ally` }));
  const nickError = await phone.waitFor(
    (s) => s.is("presence") && s.attrs.type === "error",
    10_000,
    "the nick change refusal",
  );
  assert.ok(nickError.getChild("error")?.getChild("not-acceptable"));
  assert.equal((await ping(`${room}/Alice Example`, phone)).attrs.type, "result");
});

Deno.test("group typing and reactions reach the room, never a contact named after the group", async () => {
  await using t = await registeredAlice({ world: WORLD });
  const room = `900001@${t.gw}`;
  await join(t.alice, room, "Alice Example");
  const [message] = await t.control.inject({
    type: "message",
    actor: "200002",
    thread: "900001",
    text: "React to this",
  });
  await t.alice.waitFor((s) => s.getChildText("body") === "React to this", 10_000, "the message");
  await t.control.inject([
    { type: "typing", actor: "200002", thread: "900001" },
    { type: "reaction", actor: "300001", messageId: message.id, reaction: "👍" },
  ]);
  const typing = await t.alice.waitFor(
    (s) => s.is("message") && !!s.getChild("composing"),
    10_000,
    "typing",
  );
  assert.equal(typing.attrs.type, "groupchat");
  assert.equal(typing.attrs.from, `${room}/Bob Builder`);
  const reaction = await t.alice.waitFor(
    (s) => s.is("message") && !!s.getChild("reactions"),
    10_000,
    "the reaction",
  );
  assert.equal(reaction.attrs.type, "groupchat");
  assert.equal(reaction.attrs.from, `${room}/Carla Stranger`);
  assert.equal(reaction.getChild("reactions")?.attrs.id, message.id);
  // Nothing came as a 1:1 chat from the group's JID.
  assert.ok(
    !t.alice.pending().some((s) => s.attrs.from?.startsWith(room) && s.attrs.type === "chat"),
  );
});

/** Everything about one occupant that arrives next in `client`. */
function presenceOf(client: TestClient, from: string, what: string, unavailable = false) {
  return client.waitFor(
    (s) =>
      s.is("presence") && s.attrs.from === from &&
      (s.attrs.type === "unavailable") === unavailable,
    10_000,
    what,
  );
}

/** The Hiking club again, with Bob an admin too. */
const TWO_ADMINS = `
[[account.group]]
id = "900001"
name = "Hiking club"
members = ["200002", "300001"]
admins = ["100001", "200002"]

[[user]]
id = "300001"
name = "Carla Stranger"
`;

Deno.test("membership changes on Messenger and management from XMPP, each refusal a clear error", async () => {
  const world = aliceWorld(`${TWO_ADMINS}
[[user]]
id = "300002"
name = "Dan Nobody"
`);
  await using t = await registeredAlice({ world });
  const room = `900001@${t.gw}`;
  await join(t.alice, room, "Alice Example");

  // Someone is added, someone leaves on Messenger.
  await t.control.inject([
    { type: "participants_added", actor: "200002", thread: "900001", users: ["300002"] },
    { type: "participant_left", actor: "300001", thread: "900001" },
  ]);
  const added = await presenceOf(t.alice, `${room}/Dan Nobody`, "Dan's arrival");
  assert.equal(added.getChild("x", NS_MUC_USER)?.getChild("item")?.attrs.role, "participant");
  const left = await presenceOf(t.alice, `${room}/Carla Stranger`, "Carla leaving", true);
  assert.deepEqual(statusCodes(left), []);

  // Rename from XMPP: Messenger renames, and the room's subject follows, by Alice.
  await t.alice.send(
    xml("message", { type: "groupchat", to: room }, xml("subject", {}, "Mountain club")),
  );
  await t.control.waitOperation("rename", (op) => op.method === "renameGroup");
  const subject = await t.alice.waitFor(
    (s) => s.is("message") && s.getChildText("subject") === "Mountain club",
    10_000,
    "the new subject",
  );
  assert.equal(subject.attrs.from, `${room}/Alice Example`);

  // Invitations: a friend is added (a XEP-0249 invitation sent to the contact); someone who is
  // not a friend is refused by Messenger (a mediated XEP-0045 invitation).
  await t.alice.send(
    xml("message", { to: `200001@${t.gw}` }, xml("x", { xmlns: "jabber:x:conference", jid: room })),
  );
  await presenceOf(t.alice, `${room}/Echo Bot`, "Echo Bot's arrival");
  await t.alice.send(
    xml(
      "message",
      { to: room, id: "invite-2" },
      xml("x", { xmlns: NS_MUC_USER }, xml("invite", { to: `300001@${t.gw}` })),
    ),
  );
  const refusal = await t.alice.waitFor(
    (s) => s.is("message") && s.attrs.type === "error" && s.attrs.id === "invite-2",
    10_000,
    "the refused invitation",
  );
  assert.ok(refusal.getChild("error")?.getChild("not-allowed"));
  assert.match(refusal.getChild("error")?.getChildText("text") ?? "", /friend/);

  // A kick from XMPP removes the member on Messenger: 307, with Alice as the actor.
  const kick = await t.alice.iq(
    xml(
      "iq",
      { type: "set", to: room },
      xml(
        "query",
        { xmlns: "http://jabber.org/protocol/muc#admin" },
        xml("item", { nick: "Dan Nobody", role: "none" }),
      ),
    ),
  );
  assert.equal(kick.attrs.type, "result", kick.toString());
  const kicked = await presenceOf(t.alice, `${room}/Dan Nobody`, "Dan kicked", true);
  assert.deepEqual(statusCodes(kicked), ["307"]);
  assert.equal(
    kicked.getChild("x", NS_MUC_USER)?.getChild("item")?.getChild("actor")?.attrs.nick,
    "Alice Example",
  );

  // The group's picture changes: a presence from the room with the new hash, and the vCard.
  await t.control.inject({
    type: "thread_image",
    actor: "200002",
    thread: "900001",
    image: { data: "iVBORw0KGgoAAAANSUhEUg==", filename: "club.png", contentType: "image/png" },
  });
  const avatar = await t.alice.waitFor(
    (s) =>
      s.is("presence") && s.attrs.from === room &&
      !!s.getChild("x", "vcard-temp:x:update")?.getChildText("photo"),
    10_000,
    "the room's new picture hash",
  );
  const hash = avatar.getChild("x", "vcard-temp:x:update")?.getChildText("photo");
  assert.match(hash ?? "", /^[0-9a-f]{40}$/);
  const vcard = await t.alice.iq(
    xml("iq", { type: "get", to: room }, xml("vCard", { xmlns: "vcard-temp" })),
  );
  assert.equal(vcard.getChild("vCard")?.getChildText("FN"), "Mountain club");
  assert.ok(vcard.getChild("vCard")?.getChild("PHOTO")?.getChildText("BINVAL"));
  const disco = await t.alice.iq(
    xml(
      "iq",
      { type: "get", to: room },
      xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
    ),
  );
  const avatarHash = disco.getChild("query")?.getChild("x")?.getChildren("field")
    .find((field) => field.attrs.var === "muc#roominfo_avatarhash");
  assert.equal(avatarHash?.getChildText("value"), hash, "the hash in the room's disco#info");

  // A resource joining now gets the picture's hash from the room itself, after the subject; no
  // member's presence carries it (there it would say it is that member's own picture: these
  // members have none, an empty photo).
  await using phone = await connectClient(t.server, "alice", "alicepw", { resource: "phone" });
  const joined = await join(phone, room, "Alice Example");
  const occupantsWithPhoto = joined.filter((s) =>
    s.is("presence") && s.attrs.from?.startsWith(`${room}/`) &&
    !!s.getChild("x", "vcard-temp:x:update")?.getChildText("photo")
  );
  assert.deepEqual(occupantsWithPhoto.map((s) => s.toString()), []);
  const roomPicture = await phone.waitFor(
    (s) => s.is("presence") && s.attrs.from === room,
    10_000,
    "the room's picture hash at the join",
  );
  assert.equal(roomPicture.getChild("x", "vcard-temp:x:update")?.getChildText("photo"), hash);

  // Bob removes Alice herself: her resource gets its own unavailable (110, 307, by Bob), and
  // the room is gone for her.
  await t.control.inject({
    type: "participant_left",
    actor: "200002",
    thread: "900001",
    user: "100001",
  });
  const removed = await presenceOf(t.alice, `${room}/Alice Example`, "Alice removed", true);
  assert.deepEqual(statusCodes(removed).sort(), ["110", "307"]);
  const gone = await t.alice.iq(
    xml(
      "iq",
      { type: "get", to: room },
      xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
    ),
  );
  assert.ok(gone.getChild("error")?.getChild("item-not-found"));
  const rejoin = await join(t.alice, room, "Alice Example");
  assert.ok(rejoin.at(-1)?.getChild("error")?.getChild("item-not-found"));
});

Deno.test("each member's own Messenger picture: a hash in their occupant presence, the picture in room/nick's vCard", async () => {
  await using pictures = servePictures();
  // Carla is not Alice's friend: her picture comes from what Messenger says of her (getUserInfo).
  await using t = await registeredAlice({
    world: hikingClub(`avatar_url = "${pictures.url("carla.png")}"`),
    config: pictures.config,
  });
  const room = `900001@${t.gw}`;
  const photoOf = (presence: XmlElement) =>
    presence.getChild("x", "vcard-temp:x:update")?.getChildText("photo");
  const joined = await join(t.alice, room, "Alice Example");
  const presences = joined.filter((s) => s.is("presence"));
  const carlaAtJoin = presences.find((s) => s.attrs.from === `${room}/Carla Stranger`)!;
  // Her hash is in the join's presence, or (still being fetched then) in the one sent again —
  // which may come before the join's end (the subject) or after it.
  const carlaWithHash = (s: XmlElement) =>
    s.is("presence") && s.attrs.from === `${room}/Carla Stranger` &&
    /^[0-9a-f]{40}$/.test(photoOf(s) ?? "");
  const carla = presences.find(carlaWithHash) ??
    await t.alice.waitFor(carlaWithHash, 10_000, "Carla's presence with her picture's hash");
  assert.equal(photoOf(carla), pictures.sha1);
  const itemOf = (presence: XmlElement) => presence.getChild("x", NS_MUC_USER)?.getChild("item");
  assert.deepEqual(itemOf(carla)?.attrs, itemOf(carlaAtJoin)?.attrs);
  assert.equal(
    carla.getChild("occupant-id", NS_OCCUPANT_ID)?.attrs.id,
    carlaAtJoin.getChild("occupant-id", NS_OCCUPANT_ID)?.attrs.id,
  );
  // Bob has no picture: an empty photo, never a hash; Alice's own presence says nothing of hers.
  const bob = presences.find((s) => s.attrs.from === `${room}/Bob Builder`)!;
  assert.equal(photoOf(bob), "");
  const self = presences.find((s) => s.attrs.from === `${room}/Alice Example`)!;
  assert.equal(self.getChild("x", "vcard-temp:x:update"), undefined);

  // Vcards on occupant JIDs: hers has her name, nick and the picture the hash names; Bob's none.
  const vcardOf = (nick: string) =>
    t.alice.iq(
      xml("iq", { type: "get", to: `${room}/${nick}` }, xml("vCard", { xmlns: "vcard-temp" })),
    );
  const reply = await vcardOf("Carla Stranger");
  assert.equal(reply.attrs.type, "result", reply.toString());
  const vcard = reply.getChild("vCard", "vcard-temp")!;
  assert.equal(vcard.getChildText("FN"), "Carla Stranger");
  assert.equal(vcard.getChildText("NICKNAME"), "Carla Stranger");
  assert.equal(vcard.getChild("PHOTO")?.getChildText("TYPE"), "image/png");
  assert.equal(binvalSha1(vcard.getChild("PHOTO")?.getChildText("BINVAL") ?? ""), pictures.sha1);
  const bobCard = await vcardOf("Bob Builder");
  assert.equal(bobCard.attrs.type, "result", bobCard.toString());
  assert.equal(bobCard.getChild("vCard")?.getChild("PHOTO"), undefined);
  // A nick nobody has is item-not-found, with a sentence.
  const nobody = await vcardOf("Nobody Here");
  assert.ok(nobody.getChild("error")?.getChild("item-not-found"), nobody.toString());
  assert.equal(
    nobody.getChild("error")?.getChildText("text"),
    "Nobody in this group is called Nobody Here",
  );
});

Deno.test("admins made and unmade on Messenger become owners and members in the room", async () => {
  await using t = await registeredAlice({ world: aliceWorld(TWO_ADMINS) });
  const room = `900001@${t.gw}`;
  /** Bob makes `user` an admin of the Hiking club, or no longer one. */
  const bobSetsAdmin = (user: string, admin: boolean) =>
    t.control.inject({ type: "admins_changed", actor: "200002", thread: "900001", user, admin });
  const itemOf = (presence: XmlElement) => presence.getChild("x", NS_MUC_USER)?.getChild("item");
  const joined = await join(t.alice, room, "Alice Example");
  const carlaAtJoin = joined.find((s) => s.attrs.from === `${room}/Carla Stranger`)!;
  assert.equal(itemOf(carlaAtJoin)?.attrs.affiliation, "member");

  // Bob makes Carla an admin: her presence says owner, by Bob, with her real JID.
  await bobSetsAdmin("300001", true);
  const carla = await presenceOf(t.alice, `${room}/Carla Stranger`, "Carla made owner");
  assert.deepEqual(itemOf(carla)?.attrs, {
    affiliation: "owner",
    role: "moderator",
    jid: `300001@${t.gw}`,
  });
  assert.equal(itemOf(carla)?.getChild("actor")?.attrs.nick, "Bob Builder");
  assert.deepEqual(statusCodes(carla), []);

  // Bob takes Alice's role away, then gives it back: her own presence (110) follows each time.
  for (const [admin, affiliation] of [[false, "member"], [true, "owner"]] as const) {
    await bobSetsAdmin("100001", admin);
    const self = await presenceOf(t.alice, `${room}/Alice Example`, `Alice ${affiliation}`);
    assert.deepEqual(statusCodes(self), ["110"]);
    assert.equal(itemOf(self)?.attrs.affiliation, affiliation);
  }

  // The room remembers: a resource joining now sees Carla as an owner.
  await using phone = await connectClient(t.server, "alice", "alicepw", { resource: "phone" });
  const rejoined = await join(phone, room, "Alice Example");
  const carlaNow = rejoined.find((s) => s.attrs.from === `${room}/Carla Stranger`)!;
  assert.equal(itemOf(carlaNow)?.attrs.affiliation, "owner");
});

Deno.test("admins made and unmade from XMPP (XEP-0045 affiliations) on Messenger; refusals are clear errors", async () => {
  await using t = await registeredAlice({ world: aliceWorld(TWO_ADMINS) });
  const room = `900001@${t.gw}`;
  const carla = `${room}/Carla Stranger`;
  const itemOf = (presence: XmlElement) => presence.getChild("x", NS_MUC_USER)?.getChild("item");
  /** A muc#admin iq to the room with one item; its answer. */
  const admin = (type: "get" | "set", attrs: Record<string, string>) =>
    t.alice.iq(
      xml("iq", { type, to: room }, xml("query", { xmlns: NS_MUC_ADMIN }, xml("item", attrs))),
    );
  await join(t.alice, room, "Alice Example");
  await using phone = await connectClient(t.server, "alice", "alicepw", { resource: "phone" });
  await join(phone, room, "Alice Example");

  // Alice makes Carla an owner (by JID, as Gajim does): Messenger makes her an admin, and both
  // resources get Carla's presence as owner, by Alice, once (the next one says member).
  const made = await admin("set", { affiliation: "owner", jid: `300001@${t.gw}` });
  assert.equal(made.attrs.type, "result", made.toString());
  const setAdmin = await t.control.waitOperation(
    "setGroupAdmin",
    (op) => op.method === "setGroupAdmin" && op.admin === true,
  );
  assert.deepEqual([setAdmin.thread, setAdmin.user, setAdmin.error], [
    "900001",
    "300001",
    undefined,
  ]);
  for (const client of [t.alice, phone]) {
    const owner = await presenceOf(client, carla, "Carla made owner");
    assert.equal(itemOf(owner)?.attrs.affiliation, "owner");
    assert.equal(itemOf(owner)?.getChild("actor")?.attrs.nick, "Alice Example");
  }
  const owners = await admin("get", { affiliation: "owner" });
  assert.deepEqual(
    owners.getChild("query")?.getChildren("item").map((item) => item.attrs.nick),
    ["Alice Example", "Bob Builder", "Carla Stranger"],
  );

  // And takes it away (by nick, as Conversations does): Carla is a member again.
  const unmade = await admin("set", { affiliation: "member", nick: "Carla Stranger" });
  assert.equal(unmade.attrs.type, "result", unmade.toString());
  await t.control.waitOperation(
    "setGroupAdmin",
    (op) => op.method === "setGroupAdmin" && op.admin === false,
  );
  for (const client of [t.alice, phone]) {
    const member = await presenceOf(client, carla, "Carla a member again");
    assert.equal(itemOf(member)?.attrs.affiliation, "member");
  }

  // Nobody of that nick: item-not-found, with a sentence.
  const nobody = await admin("set", { affiliation: "owner", nick: "Zed" });
  assert.ok(nobody.getChild("error")?.getChild("item-not-found"), nobody.toString());
  assert.equal(
    nobody.getChild("error")?.getChildText("text"),
    "Nobody in this group is called Zed",
  );

  // Bob takes Alice's role away on Messenger: her next attempt is refused there, not-allowed.
  await t.control.inject({
    type: "admins_changed",
    actor: "200002",
    thread: "900001",
    user: "100001",
    admin: false,
  });
  const self = await presenceOf(t.alice, `${room}/Alice Example`, "Alice no longer an admin");
  assert.equal(itemOf(self)?.attrs.affiliation, "member");
  const refused = await admin("set", { affiliation: "owner", nick: "Carla Stranger" });
  assert.ok(refused.getChild("error")?.getChild("not-allowed"), refused.toString());
  assert.match(refused.getChild("error")?.getChildText("text") ?? "", /Only a group admin/);
  const failed = await t.control.waitOperation(
    "the refused setGroupAdmin",
    (op) => op.method === "setGroupAdmin" && op.error !== undefined,
  );
  assert.equal(failed.error, "bad_request");
  // Carla's role changed twice in all: no third presence of hers came meanwhile.
  assert.deepEqual(t.alice.pending().filter((s) => s.attrs.from === carla), []);
});

Deno.test("an independent client (slixmpp's XEP-0045 plugin) joins, sees history and chats", async () => {
  const world = aliceWorld(`
[[account.group]]
id = "900002"
name = "Echo chamber"
members = ["200001", "200002"]
`);
  await using t = await registeredAlice({ world });
  const room = `900002@${t.gw}`;
  await t.control.inject({ type: "message", actor: "200002", thread: "900002", text: "Before" });
  const events = await slixmppInRoom(t.server, {
    user: "alice",
    password: "alicepw",
    room,
    nick: "alice-slix",
    say: "Hello from slixmpp",
    // Echo Bot answers in the group, as on Messenger.
    expect: ["Alice Example:Hello from slixmpp", "Echo Bot:Hello from slixmpp"],
  });
  const joined = events.find((event) => event.event === "joined");
  assert.equal(joined?.nick, "Alice Example");
  assert.deepEqual(joined?.codes, ["100", "110", "210"]);
  assert.ok(events.some((event) => event.event === "history" && event.body === "Before"));
  assert.ok(events.some((event) => event.event === "subject" && event.subject === "Echo chamber"));
  const echo = events.find((event) => event.event === "message" && event.nick === "Echo Bot");
  assert.ok(echo?.stanza_id, "the room gives a stanza-id");
});

Deno.test("in a room: replies, mentions, reactions, retractions, corrections, markers and files, both ways", async () => {
  await using t = await registeredAlice({ world: WORLD });
  const room = `900001@${t.gw}`;
  await join(t.alice, room, "Alice Example");
  const stanzaIdOf = (s: XmlElement) =>
    s.getChildren("stanza-id").find((child) => child.attrs.by === room)?.attrs.id ?? "";

  // Bob writes, mentioning Alice: the mention points at her occupant JID.
  const [bobs] = await t.control.inject({
    type: "message",
    actor: "200002",
    thread: "900001",
    text: "Alice, the map?",
    mentions: [{ user: "100001", offset: 0, length: 5 }],
  });
  const incoming = await t.alice.waitFor(
    (s) => s.getChildText("body") === "Alice, the map?",
    10_000,
    "Bob's message",
  );
  const reference = incoming.getChild("reference", "urn:xmpp:reference:0");
  assert.equal(reference?.attrs.uri, `xmpp:${encodeURI(`${room}/Alice Example`)}`);
  const bobStanzaId = stanzaIdOf(incoming);
  assert.equal(bobStanzaId, bobs.id);

  // Alice replies (XEP-0461 to the stanza-id), mentions Carla by occupant JID, and reacts.
  await t.alice.send(
    xml(
      "message",
      { type: "groupchat", to: room, id: "reply-1" },
      xml("body", {}, "Carla has it"),
      xml("reply", { xmlns: "urn:xmpp:reply:0", id: bobStanzaId, to: `${room}/Bob Builder` }),
      xml("reference", {
        xmlns: "urn:xmpp:reference:0",
        type: "mention",
        uri: `xmpp:${room}/Carla Stranger`,
        begin: "0",
        end: "5",
      }),
    ),
  );
  const reply = await t.control.waitOperation("reply", (op) => op.text === "Carla has it");
  assert.equal(reply.replyTo, bobs.id);
  assert.deepEqual(
    (reply as unknown as { mentions: unknown[] }).mentions,
    [{ user: "300001", offset: 0, length: 5 }],
  );
  const reflected = await t.alice.waitFor(
    (s) => s.attrs.id === "reply-1" && s.getChildText("body") === "Carla has it",
    10_000,
    "the reflected reply",
  );
  const ownStanzaId = stanzaIdOf(reflected);
  assert.equal(ownStanzaId, reply.messageId);

  await t.alice.send(
    xml(
      "message",
      { type: "groupchat", to: room, id: "react-1" },
      xml(
        "reactions",
        { xmlns: "urn:xmpp:reactions:0", id: bobStanzaId },
        xml("reaction", {}, "👍"),
      ),
    ),
  );
  const reacted = await t.control.waitOperation("reaction", (op) => op.method === "react");
  assert.equal(reacted.messageId, bobs.id);

  // A correction of her own message (by its client id) and a retraction (by its stanza-id).
  await t.alice.send(
    xml(
      "message",
      { type: "groupchat", to: room, id: "fix-1" },
      xml("body", {}, "Carla has the map"),
      xml("replace", { xmlns: "urn:xmpp:message-correct:0", id: "reply-1" }),
    ),
  );
  await t.control.waitOperation("correction", (op) => op.text === "Carla has the map");
  await t.alice.send(
    xml(
      "message",
      { type: "groupchat", to: room, id: "retract-1" },
      xml("retract", { xmlns: "urn:xmpp:message-retract:1", id: ownStanzaId }),
    ),
  );
  const unsent = await t.control.waitOperation("unsend", (op) => op.method === "unsend");
  assert.equal(unsent.messageId, reply.messageId);

  // A displayed marker marks the group read.
  await t.alice.send(
    xml(
      "message",
      { type: "groupchat", to: room },
      xml("displayed", { xmlns: "urn:xmpp:chat-markers:0", id: bobStanzaId }),
    ),
  );
  await t.control.waitOperation(
    "mark read",
    (op) => op.method === "markRead" && op.thread === "900001",
  );

  // Bob unsends his message; Carla sends a photo.
  await t.control.inject({ type: "unsend", actor: "200002", thread: "900001", messageId: bobs.id });
  const retraction = await t.alice.waitFor(
    (s) => !!s.getChild("retract", "urn:xmpp:message-retract:1"),
    10_000,
    "Bob's retraction",
  );
  assert.equal(retraction.attrs.type, "groupchat");
  assert.equal(retraction.attrs.from, `${room}/Bob Builder`);
  assert.equal(retraction.getChild("retract", "urn:xmpp:message-retract:1")?.attrs.id, bobs.id);
  await t.control.inject({
    type: "message",
    actor: "300001",
    thread: "900001",
    text: "",
    attachments: [{ data: "iVBORw0KGgo=", filename: "map.png", contentType: "image/png" }],
  });
  const photo = await t.alice.waitFor(
    (s) => !!s.getChild("x", "jabber:x:oob"),
    10_000,
    "Carla's photo",
  );
  assert.equal(photo.attrs.type, "groupchat");
  assert.equal(photo.attrs.from, `${room}/Carla Stranger`);
  assert.ok(stanzaIdOf(photo));
});

/** Pages through a room's archive (XEP-0313), newest page first; returns bodies and ids in order. */
async function archivePage(
  client: TestClient,
  room: string,
  set: XmlElement,
  form?: XmlElement,
): Promise<{ results: XmlElement[]; fin: XmlElement }> {
  const queryId = crypto.randomUUID();
  const reply = await client.iq(
    xml(
      "iq",
      { type: "set", to: room },
      xml("query", { xmlns: "urn:xmpp:mam:2", queryid: queryId }, form ?? null, set),
    ),
    10_000,
  );
  assert.equal(reply.attrs.type, "result", reply.toString());
  const results: XmlElement[] = [];
  for (const stanza of client.pending()) {
    if (stanza.getChild("result", "urn:xmpp:mam:2")?.attrs.queryid === queryId) {
      results.push(stanza);
    }
  }
  for (const result of results) {
    await client.waitFor((s) => s === result, 1000, "a buffered result");
  }
  return { results, fin: reply.getChild("fin", "urn:xmpp:mam:2")! };
}

function forwardedBody(result: XmlElement): string {
  return result.getChild("result")?.getChild("forwarded")?.getChild("message")?.getChildText(
    "body",
  ) ??
    "";
}

Deno.test("history, stanza-ids and the archive are the same after a gateway restart; MAM pages", async () => {
  await using server = await startProsody();
  await server.register("alice", "alicepw");
  await using kv = await seededKv();
  const config = {
    gateway: { data: kv.path },
    simulated: { control: "127.0.0.1:0" },
  };
  const room = `900001@${server.componentDomain}`;
  const first = await startGateway(server, { world: WORLD, config });
  await using alice = await connectClient(server, "alice", "alicepw", { resource: "laptop" });
  await alice.waitFor(
    (s) => s.is("presence") && /Connected as/.test(s.getChildText("status") ?? ""),
    10_000,
    "connected",
  );
  const control = new AccountControl(await first.controlUrl());
  // Written while no client of Alice is in the room: kept in the archive.
  for (let i = 1; i <= 12; i++) {
    await control.inject({ type: "message", actor: "200002", thread: "900001", text: `m${i}` });
  }
  const joined = await join(alice, room, "Alice Example", { maxstanzas: "5" });
  const history = joined.filter((s) => s.attrs.type === "groupchat" && s.getChild("body"));
  assert.deepEqual(history.map((s) => s.getChildText("body")), ["m8", "m9", "m10", "m11", "m12"]);
  assert.ok(history.every((s) => s.getChild("delay", "urn:xmpp:delay")), "history is delayed");
  const ids = history.map((s) =>
    s.getChildren("stanza-id").find((c) => c.attrs.by === room)?.attrs.id
  );

  // The archive: the last page of 5, then the one before it, then a filter by author.
  const last = await archivePage(
    alice,
    room,
    xml("set", { xmlns: "http://jabber.org/protocol/rsm" }, xml("max", {}, "5"), xml("before")),
  );
  assert.deepEqual(last.results.map(forwardedBody), ["m8", "m9", "m10", "m11", "m12"]);
  assert.notEqual(last.fin.attrs.complete, "true");
  const rsm = last.fin.getChild("set")!;
  assert.equal(rsm.getChildText("count"), "12");
  const before = await archivePage(
    alice,
    room,
    xml(
      "set",
      { xmlns: "http://jabber.org/protocol/rsm" },
      xml("max", {}, "5"),
      xml("before", {}, rsm.getChildText("first") ?? ""),
    ),
  );
  assert.deepEqual(before.results.map(forwardedBody), ["m3", "m4", "m5", "m6", "m7"]);
  const unknown = await alice.iq(
    xml(
      "iq",
      { type: "set", to: room },
      xml(
        "query",
        { xmlns: "urn:xmpp:mam:2" },
        xml("set", { xmlns: "http://jabber.org/protocol/rsm" }, xml("after", {}, "no-such-id")),
      ),
    ),
  );
  assert.ok(unknown.getChild("error")?.getChild("item-not-found"));

  // Restart: the Messenger side starts afresh, the room's archive and ids do not.
  assert.equal(await first.stop(), 0);
  await first[Symbol.asyncDispose]();
  await using second = await startGateway(server, { world: WORLD, config });
  await alice.waitFor(
    (s) => s.is("presence") && /Connected as/.test(s.getChildText("status") ?? ""),
    15_000,
    "connected again",
  );
  // The client learns it is no longer in the room (self-ping) and joins again.
  const ping = await alice.iq(
    xml(
      "iq",
      { type: "get", to: `${room}/Alice Example` },
      xml("ping", { xmlns: "urn:xmpp:ping" }),
    ),
  );
  assert.ok(ping.getChild("error")?.getChild("not-acceptable"));
  const rejoined = await join(alice, room, "Alice Example", { maxstanzas: "5" });
  const again = rejoined.filter((s) => s.attrs.type === "groupchat" && s.getChild("body"));
  assert.deepEqual(again.map((s) => s.getChildText("body")), ["m8", "m9", "m10", "m11", "m12"]);
  assert.deepEqual(
    again.map((s) => s.getChildren("stanza-id").find((c) => c.attrs.by === room)?.attrs.id),
    ids,
  );
  const afterRestart = await archivePage(
    alice,
    room,
    xml("set", { xmlns: "http://jabber.org/protocol/rsm" }, xml("max", {}, "5"), xml("before")),
  );
  assert.deepEqual(
    afterRestart.results.map((r) => r.getChild("result")?.attrs.id),
    last.results.map((r) => r.getChild("result")?.attrs.id),
  );
  assert.equal(await second.stop(), 0);
});

Deno.test("at login, the user's groups are put into their XEP-0402 bookmarks (autojoin) through the server", async () => {
  await using t = await registeredAlice({ world: WORLD });
  const room = `900001@${t.gw}`;
  const deadline = Date.now() + 10_000;
  let item: XmlElement | undefined;
  while (!item) {
    const reply = await t.alice.iq(
      xml(
        "iq",
        { type: "get", to: t.alice.bareJid },
        xml(
          "pubsub",
          { xmlns: "http://jabber.org/protocol/pubsub" },
          xml("items", { node: "urn:xmpp:bookmarks:1" }),
        ),
      ),
    );
    item = reply.getChild("pubsub")?.getChild("items")?.getChildren("item").find((i) =>
      i.attrs.id === room
    );
    if (!item) {
      assert.ok(Date.now() < deadline, `no bookmark: ${reply.toString()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const conference = item.getChild("conference", "urn:xmpp:bookmarks:1");
  assert.equal(conference?.attrs.name, "Hiking club");
  assert.equal(conference?.attrs.autojoin, "true");
  assert.equal(conference?.getChildText("nick"), "Alice Example");
  // Bookmarked, not invited.
  assert.ok(!t.alice.pending().some((s) => s.getChild("x", "jabber:x:conference")));
});
