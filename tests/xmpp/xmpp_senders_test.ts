import assert from "node:assert/strict";
import type { ContactCard } from "../../src/gateway/xmpp_port.ts";
import { asUserId } from "../../src/messenger/ids.ts";
import { AvatarCache } from "../../src/xmpp/avatar_cache.ts";
import { ALICE, fakeServer, GW } from "./_fake_server.ts";

const ECHO: ContactCard = { id: asUserId("200001"), name: "Echo Bot" };
const BOB: ContactCard = { id: asUserId("200002"), name: "Bob Builder" };

Deno.test("with the roster privilege the gateway and each contact are pushed into the roster", async () => {
  const { sent, iqs, rosters, senders } = fakeServer({ privileged: true });
  await senders.addContacts(ALICE, [ECHO, BOB]);

  assert.equal(iqs[0].attrs.type, "get", "the roster is read first");
  const sets = iqs.filter((iq) => iq.attrs.type === "set");
  assert.equal(sets.length, 3, "one item per roster set");
  const roster = rosters.get(ALICE)!;
  assert.deepEqual([...roster.keys()].sort(), [`200001@${GW}`, `200002@${GW}`, GW]);
  const echo = roster.get(`200001@${GW}`)!;
  assert.equal(echo.attrs.name, "Echo Bot");
  assert.equal(echo.attrs.subscription, "both");
  assert.equal(echo.getChildText("group"), "Messenger");
  assert.equal(roster.get(GW)!.attrs.name, "Messenger");
  assert.ok(
    !sent.some((s) => s.attrs.type === "subscribe"),
    "no subscription request when the push worked",
  );
  assert.ok(sent.some((s) => s.attrs.type === "probe" && s.attrs.to === ALICE));
});

Deno.test("items already in the roster are left alone (the user's names and groups stay)", async () => {
  const { iqs, senders } = fakeServer({ privileged: true });
  await senders.addContacts(ALICE, [ECHO]);
  const before = iqs.length;
  await senders.addContacts(ALICE, [ECHO, BOB]);
  const sets = iqs.slice(before).filter((iq) => iq.attrs.type === "set");
  assert.deepEqual(
    sets.map((iq) => iq.getChild("query")!.getChild("item")!.attrs.jid),
    [`200002@${GW}`],
  );
});

Deno.test("without the privilege each contact asks for a subscription, saying why", async () => {
  const { sent, iqs, senders } = fakeServer({ privileged: false });
  await senders.addContacts(ALICE, [ECHO]);
  assert.equal(iqs.length, 0);
  const requests = sent.filter((s) => s.attrs.type === "subscribe");
  assert.deepEqual(requests.map((s) => s.attrs.from), [GW, `200001@${GW}`]);
  const echo = requests[1];
  assert.equal(echo.getChildText("nick", "http://jabber.org/protocol/nick"), "Echo Bot");
  assert.match(echo.getChildText("status")!, /does not let the gateway add contacts/);
});

Deno.test("a refused roster push falls back to subscription requests", async () => {
  const { sent, senders } = fakeServer({ privileged: true, refuseSets: "forbidden" });
  await senders.addContacts(ALICE, [ECHO]);
  const requests = sent.filter((s) => s.attrs.type === "subscribe");
  assert.equal(requests.length, 2);
  assert.match(requests[0].getChildText("status")!, /refused/);
});

Deno.test("removal with the privilege takes the items out of the roster after unavailable", async () => {
  const { sent, rosters, senders } = fakeServer({ privileged: true });
  await senders.addContacts(ALICE, [ECHO]);
  sent.length = 0;
  await senders.removeContacts(ALICE, [ECHO.id, BOB.id]);
  assert.equal(rosters.get(ALICE)!.size, 0);
  assert.deepEqual(
    sent.map((s) => `${s.attrs.type}:${s.attrs.from}`),
    [`unavailable:200001@${GW}`, `unavailable:200002@${GW}`, `unavailable:${GW}`],
    "an absent item (Bob) is no reason to fall back to presences",
  );
});

Deno.test("removal without the privilege sends unsubscribe, unsubscribed and unavailable", async () => {
  const { sent, senders } = fakeServer({ privileged: false });
  await senders.removeContacts(ALICE, [ECHO.id]);
  const from = (jid: string) => sent.filter((s) => s.attrs.from === jid).map((s) => s.attrs.type);
  assert.deepEqual(from(`200001@${GW}`).sort(), ["unavailable", "unsubscribe", "unsubscribed"]);
  assert.deepEqual(from(GW).sort(), ["unavailable", "unsubscribe", "unsubscribed"]);
});

Deno.test("contact presences carry the avatar hash once it is known, and are sent again then", async () => {
  const bytes = new TextEncoder().encode("png bytes");
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const avatars = new AvatarCache({
    fetch: async () => {
      await gate;
      return { type: "image/png", data: bytes };
    },
  });
  const withAvatar = { ...ECHO, avatarUrl: "http://127.0.0.1/echo.png" };
  const { sent, senders } = fakeServer({ privileged: false, avatars, cards: [withAvatar, BOB] });

  await senders.contactPresence(ALICE, BOB.id, { available: true });
  const bob = sent.pop()!;
  assert.equal(bob.getChild("x", "vcard-temp:x:update")!.getChild("photo")!.text(), "");

  await senders.contactPresence(ALICE, ECHO.id, { available: true });
  const pending = sent.pop()!;
  assert.ok(pending.getChild("x", "vcard-temp:x:update"), "the update element is there");
  assert.equal(
    pending.getChild("x", "vcard-temp:x:update")!.getChild("photo"),
    undefined,
    "no photo element while the hash is unknown",
  );

  release();
  await avatars.get(ECHO.id, withAvatar.avatarUrl);
  await new Promise((resolve) => setTimeout(resolve, 0));
  const again = sent.find((s) => s.attrs.from === `200001@${GW}`);
  assert.ok(again, "the presence is sent again with the hash");
  const sha1 = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-1", bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  assert.equal(again.getChild("x", "vcard-temp:x:update")!.getChildText("photo"), sha1);
});

Deno.test("a gateway message due while the XMPP server is unreachable is sent once it is back, in order", async () => {
  let online = false;
  const waiters: (() => void)[] = [];
  const { sent, senders } = fakeServer({
    privileged: false,
    extra: {
      whenOnline: (timeoutMs) =>
        online || timeoutMs === 0 ? Promise.resolve(online) : new Promise<boolean>((resolve) => {
          waiters.push(() => resolve(true));
        }),
    },
  });
  // The callers are not held up while the server is down.
  await senders.gatewayMessage(ALICE, "first");
  await senders.gatewayMessage(ALICE, "second");
  assert.deepEqual(sent.filter((s) => s.is("message")), []);
  online = true;
  for (const wake of waiters.splice(0)) wake();
  await senders.gatewayMessage(ALICE, "third");
  assert.deepEqual(
    sent.filter((s) => s.is("message")).map((s) => s.getChildText("body")),
    ["first", "second", "third"],
  );
});
