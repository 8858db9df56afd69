import assert from "node:assert/strict";
import { XmppUnavailable } from "../../src/gateway/xmpp_port.ts";
import { asUserId } from "../../src/messenger/ids.ts";
import { ContactMessages } from "../../src/xmpp/contact_messages.ts";
import { Privileges } from "../../src/xmpp/privileges.ts";
import type { Element } from "../../src/xmpp/xml.ts";

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
