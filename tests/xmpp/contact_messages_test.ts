import assert from "node:assert/strict";
import { XmppUnavailable } from "../../src/gateway/xmpp_port.ts";
import { asUserId } from "../../src/messenger/ids.ts";
import { ContactMessages } from "../../src/xmpp/contact_messages.ts";
import { Privileges } from "../../src/xmpp/privileges.ts";
import type { Element } from "../../src/xmpp/xml.ts";
import { parse } from "./_stanzas.ts";

const BOB = asUserId("200002");
const PHOTO = { kind: "photo" as const, url: "https://cdn.example/p.jpg", filename: "p.jpg" };

/** Sends through `outcomes` (true: sent, false: the connection was down), recording the ids. */
function sender(outcomes: boolean[]) {
  const sent: string[] = [];
  let onlineChecks = 0;
  const messages = new ContactMessages({
    domain: "gw.example",
    privileges: new Privileges({ graceMs: 0, collectMs: 0 }),
    send: (stanza: Element) => {
      const ok = outcomes.shift() ?? true;
      if (ok) sent.push(stanza.attrs.id!);
      return Promise.resolve(ok);
    },
    whenOnline: () => {
      onlineChecks++;
      return Promise.resolve(true);
    },
  });
  return { messages, sent, onlineChecks: () => onlineChecks };
}

const message = { id: "mid.1", text: "look", attachments: [PHOTO], timestamp: Date.now() };

Deno.test("nothing shown yet: the whole message is refused, for the caller to retry", async () => {
  const { messages, sent } = sender([false]);
  await assert.rejects(messages.contactMessage("alice@x", BOB, message), XmppUnavailable);
  assert.deepEqual(sent, []);
});

Deno.test("a later part that fails is sent again once the server is back, not dropped", async () => {
  const { messages, sent, onlineChecks } = sender([true, false, false, true]);
  const ids = await messages.contactMessage("alice@x", BOB, message);
  assert.equal(ids.length, 2);
  assert.deepEqual(sent, ids, "every part arrived, in order");
  assert.equal(onlineChecks(), 2);
});

const GRANT_V2 = `<message from="example.org" to="gw.example">
  <privilege xmlns="urn:xmpp:privilege:2"><perm access="message" type="outgoing"/></privilege>
</message>`;
const SELF_MESSAGE = {
  kind: "message" as const,
  id: "m1",
  text: "sent from the phone",
  attachments: [],
  timestamp: Date.now(),
};

function carbons(privileges: Privileges, outcomes: boolean[] = []) {
  const sent: Element[] = [];
  const messages = new ContactMessages({
    domain: "gw.example",
    privileges,
    send: (stanza: Element) => {
      const ok = outcomes.shift() ?? true;
      if (ok) sent.push(stanza);
      return Promise.resolve(ok);
    },
  });
  return { messages, sent };
}

Deno.test("own activity right after a reconnection waits for the server's grant", async () => {
  const privileges = new Privileges({ graceMs: 10_000, collectMs: 0 });
  try {
    privileges.handleMessage(parse(GRANT_V2));
    privileges.connectionOffline(); // the XMPP server restarts
    privileges.connectionOnline(); // back: its grant follows a moment later
    const { messages, sent } = carbons(privileges);
    const reflected = messages.ownActivity("u@example.org", BOB, SELF_MESSAGE);
    setTimeout(() => privileges.handleMessage(parse(GRANT_V2)), 50);
    await reflected;
    assert.equal(sent.length, 1, "the user's own message was dropped");
    const inner = sent[0].getChild("privilege", "urn:xmpp:privilege:2")
      ?.getChild("forwarded", "urn:xmpp:forward:0")?.getChild("message");
    assert.equal(inner?.getChildText("body"), "sent from the phone");
  } finally {
    privileges.close();
  }
});

Deno.test("own activity: a connection down is reported for a retry; the grant's namespace is used", async () => {
  const privileges = new Privileges({ graceMs: 10_000, collectMs: 0 });
  try {
    privileges.handleMessage(parse(GRANT_V2.replaceAll("privilege:2", "privilege:1")));
    await privileges.settled();
    const down = carbons(privileges, [false]);
    await assert.rejects(
      down.messages.ownActivity("u@example.org", BOB, SELF_MESSAGE),
      XmppUnavailable,
    );
    const { messages, sent } = carbons(privileges);
    await messages.ownActivity("u@example.org", BOB, SELF_MESSAGE);
    assert.ok(sent[0].getChild("privilege", "urn:xmpp:privilege:1"), sent[0].toString());
  } finally {
    privileges.close();
  }
});
