import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { ContactCard } from "../../src/gateway/xmpp_port.ts";
import { asUserId, type UserId } from "../../src/messenger/ids.ts";
import { AvatarCache } from "../../src/xmpp/avatar_cache.ts";
import { ImageFetchError } from "../../src/xmpp/image_fetch.ts";
import { registerVcard } from "../../src/xmpp/vcard.ts";
import { errorCondition, errorText, parse, recordingRouter } from "./_stanzas.ts";

const GW = "facebook.example.org";
const ALICE = "alice@example.org/phone";
const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 9, 9]);
const CARDS: ContactCard[] = [
  { id: asUserId("200001"), name: "Echo Bot", avatarUrl: "http://img/echo.png" },
  { id: asUserId("200002"), name: "Bob Builder" },
  { id: asUserId("200003"), name: "Broken Picture", avatarUrl: "http://img/broken" },
];

function setup() {
  const { router, sent } = recordingRouter({ isRegistered: (jid) => jid === "alice@example.org" });
  const cards = new Map(CARDS.map((card) => [card.id, card]));
  registerVcard(router, {
    name: "Facebook Messenger",
    contact: (
      user: string,
      id: UserId,
    ) => (user === "alice@example.org" ? cards.get(id) : undefined),
    avatars: new AvatarCache({
      fetch: (url) =>
        url === "http://img/echo.png"
          ? Promise.resolve({ type: "image/png", data: PNG })
          : Promise.reject(new ImageFetchError("HTTP 404")),
    }),
  });
  return { router, sent };
}

function vcardIq(to: string, from = ALICE): string {
  return `<iq type="get" id="v1" from="${from}" to="${to}"><vCard xmlns="vcard-temp"/></iq>`;
}

Deno.test("a contact's vCard has the name and the avatar as PHOTO", async () => {
  const { router, sent } = setup();
  await router.handle(parse(vcardIq(`200001@${GW}`)));
  const vcard = sent[0].getChild("vCard", "vcard-temp")!;
  assert.equal(sent[0].attrs.type, "result");
  assert.equal(vcard.getChildText("FN"), "Echo Bot");
  assert.equal(vcard.getChildText("NICKNAME"), "Echo Bot");
  const photo = vcard.getChild("PHOTO")!;
  assert.equal(photo.getChildText("TYPE"), "image/png");
  assert.deepEqual(new Uint8Array(Buffer.from(photo.getChildText("BINVAL")!, "base64")), PNG);
});

Deno.test("a contact without (a reachable) avatar has a vCard without PHOTO", async () => {
  const { router, sent } = setup();
  await router.handle(parse(vcardIq(`200002@${GW}`)));
  await router.handle(parse(vcardIq(`200003@${GW}`)));
  for (const reply of sent) {
    assert.equal(reply.attrs.type, "result");
    assert.equal(reply.getChild("vCard")!.getChild("PHOTO"), undefined);
  }
  assert.equal(sent[1].getChild("vCard")!.getChildText("FN"), "Broken Picture");
});

Deno.test("an unknown contact or a non-Messenger address is item-not-found with a sentence", async () => {
  const { router, sent } = setup();
  await router.handle(parse(vcardIq(`300001@${GW}`)));
  await router.handle(parse(vcardIq(`bob@${GW}`)));
  assert.deepEqual(sent.map(errorCondition), ["item-not-found", "item-not-found"]);
  assert.match(errorText(sent[0])!, /not one of your Messenger contacts/);
  assert.match(errorText(sent[1])!, /not a Messenger contact address/);
});

Deno.test("an unregistered user's vCard request is registration-required", async () => {
  const { router, sent } = setup();
  await router.handle(parse(vcardIq(`200001@${GW}`, "eve@example.org/x")));
  assert.equal(errorCondition(sent[0]), "registration-required");
});

Deno.test("the gateway has a vCard and contacts advertise vcard-temp", async () => {
  const { router, sent } = setup();
  await router.handle(parse(vcardIq(GW)));
  assert.equal(sent[0].getChild("vCard")!.getChildText("FN"), "Facebook Messenger");
  assert.ok(router.features("contact").includes("vcard-temp"));
  assert.ok(router.features("gateway").includes("vcard-temp"));
});
