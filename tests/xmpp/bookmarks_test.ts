import assert from "node:assert/strict";
import { asThreadId } from "../../src/messenger/ids.ts";
import { Bookmarks, NS_BOOKMARKS, NS_PUBSUB } from "../../src/xmpp/bookmarks.ts";
import { Privileges } from "../../src/xmpp/privileges.ts";
import { type Element, parseXml, xml } from "../../src/xmpp/xml.ts";

const GW = "facebook.example.org";
const ALICE = "alice@example.org";
const ROOM = { thread: asThreadId("900001"), name: "Hiking club", nick: "Alice Example" };

/** A grant as Prosody's mod_privilege sends it; `iq` adds the pubsub permission. */
function privileges(iq: boolean): Privileges {
  const granted = new Privileges({ graceMs: 0, collectMs: 0 });
  granted.handleMessage(parseXml(`<message from="example.org" to="${GW}">
    <privilege xmlns="urn:xmpp:privilege:2">
      <perm access="roster" type="both"/><perm access="message" type="outgoing"/>
      ${iq ? `<perm access="iq"><namespace ns="${NS_PUBSUB}" type="set"/></perm>` : ""}
    </privilege></message>`));
  return granted;
}

function fixture(options: { iq: boolean; answer?: "result" | "error" }) {
  const calls: Element[] = [];
  const sent: Element[] = [];
  const bookmarks = new Bookmarks({
    domain: GW,
    privileges: privileges(options.iq),
    call: (iq) => {
      calls.push(iq);
      return Promise.resolve(
        xml(
          "iq",
          { type: options.answer ?? "result", from: ALICE, to: GW, id: iq.attrs.id },
          options.answer === "error"
            ? xml(
              "error",
              { type: "cancel" },
              xml("not-allowed", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }),
            )
            : null,
        ),
      );
    },
    send: (stanza) => Promise.resolve(void sent.push(stanza)),
  });
  return { bookmarks, calls, sent };
}

Deno.test("with the pubsub iq privilege, a room is published into the user's XEP-0402 bookmarks", async () => {
  const { bookmarks, calls, sent } = fixture({ iq: true });
  assert.deepEqual(await bookmarks.offer(ALICE, [ROOM]), ["bookmark"]);
  assert.equal(sent.length, 0);
  const [outer] = calls;
  assert.equal(outer.attrs.to, ALICE);
  assert.equal(outer.attrs.from, GW);
  const inner = outer.getChild("privileged_iq", "urn:xmpp:privilege:2")?.getChild("iq");
  assert.equal(inner?.attrs.xmlns, "jabber:client");
  assert.equal(inner?.attrs.from, ALICE);
  assert.equal(inner?.attrs.to, ALICE);
  const publish = inner?.getChild("pubsub", NS_PUBSUB)?.getChild("publish");
  assert.equal(publish?.attrs.node, NS_BOOKMARKS);
  const item = publish?.getChild("item");
  assert.equal(item?.attrs.id, `900001@${GW}`);
  const conference = item?.getChild("conference", NS_BOOKMARKS);
  assert.deepEqual(conference?.attrs, {
    xmlns: NS_BOOKMARKS,
    name: "Hiking club",
    autojoin: "true",
  });
  assert.equal(conference?.getChildText("nick"), "Alice Example");
  const options = inner?.getChild("pubsub")?.getChild("publish-options")?.getChild("x");
  const values = Object.fromEntries(
    options!.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")]),
  );
  assert.equal(values["pubsub#access_model"], "whitelist");
  assert.equal(values["pubsub#persist_items"], "true");
});

Deno.test("without the privilege, or when the server refuses, the user gets a XEP-0249 invitation", async () => {
  for (const setup of [{ iq: false }, { iq: true, answer: "error" as const }]) {
    const { bookmarks, sent } = fixture(setup);
    assert.deepEqual(await bookmarks.offer(ALICE, [ROOM]), ["invitation"]);
    const invitation = sent[0].getChild("x", "jabber:x:conference");
    assert.equal(invitation?.attrs.jid, `900001@${GW}`);
    assert.equal(sent[0].attrs.to, ALICE);
  }
});

Deno.test("iq permissions are read per namespace and type from the grant", () => {
  const granted = privileges(true);
  assert.equal(granted.canSendIq(ALICE, NS_PUBSUB, "set"), true);
  assert.equal(granted.canSendIq(ALICE, NS_PUBSUB, "get"), false);
  assert.equal(granted.canSendIq(ALICE, "jabber:iq:roster", "set"), false);
  assert.equal(privileges(false).canSendIq(ALICE, NS_PUBSUB, "set"), false);
});
