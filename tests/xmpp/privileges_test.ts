import assert from "node:assert/strict";
import { Privileges } from "../../src/xmpp/privileges.ts";
import { parse, recordingRouter } from "./_stanzas.ts";

const GW = "facebook.example.org";
const GRANT = `<message from="example.org" to="${GW}" id="p1">
  <privilege xmlns="urn:xmpp:privilege:2">
    <perm access="roster" type="both"/>
    <perm access="message" type="outgoing"/>
  </privilege>
</message>`;

Deno.test("a privilege message records the grant for users of that server only", async () => {
  const privileges = new Privileges({ graceMs: 10_000, collectMs: 0 });
  assert.equal(privileges.handleMessage(parse(GRANT)), true);
  await privileges.settled();
  assert.deepEqual(privileges.of("alice@example.org/phone"), {
    roster: "both",
    message: "outgoing",
    presence: "none",
    iq: new Map(),
    namespace: "urn:xmpp:privilege:2",
  });
  assert.equal(privileges.canSetRoster("alice@example.org"), true);
  assert.equal(privileges.canGetRoster("alice@example.org"), true);
  assert.equal(privileges.canSendAs("alice@example.org"), true);
  assert.equal(privileges.canSetRoster("bob@elsewhere.net"), false);
  privileges.close();
});

Deno.test("unknown access types and values are ignored, get-only roster cannot set", () => {
  const privileges = new Privileges({ collectMs: 0 });
  privileges.handleMessage(parse(`<message from="example.org" to="${GW}">
    <privilege xmlns="urn:xmpp:privilege:2">
      <perm access="roster" type="get"/><perm access="message" type="everything"/>
      <perm access="iq"><namespace ns="urn:x" type="set"/></perm>
    </privilege></message>`));
  assert.equal(privileges.canGetRoster("alice@example.org"), true);
  assert.equal(privileges.canSetRoster("alice@example.org"), false);
  assert.equal(privileges.canSendAs("alice@example.org"), false);
  privileges.close();
});

Deno.test("a message without privilege or from a user is not a grant", () => {
  const privileges = new Privileges();
  assert.equal(
    privileges.handleMessage(
      parse(`<message from="example.org" to="${GW}"><body>MOTD</body></message>`),
    ),
    false,
  );
  assert.equal(
    privileges.handleMessage(
      parse(GRANT.replace('from="example.org"', 'from="mallory@example.org"')),
    ),
    false,
  );
  assert.equal(privileges.canSetRoster("alice@example.org"), false);
  privileges.close();
});

Deno.test("without a grant the privileges settle after the grace period, as none", async () => {
  const privileges = new Privileges({ graceMs: 20 });
  let settled = false;
  const waiting = privileges.settled().then(() => (settled = true));
  privileges.connectionOnline();
  await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(settled, false);
  await waiting;
  assert.equal(privileges.canSetRoster("alice@example.org"), false);
});

Deno.test("a reconnect forgets the grant until the server sends it again", async () => {
  const privileges = new Privileges({ graceMs: 10_000, collectMs: 0 });
  privileges.handleMessage(parse(GRANT));
  await privileges.settled();
  privileges.connectionOffline();
  assert.equal(privileges.isSettled, false);
  assert.equal(privileges.canSetRoster("alice@example.org"), false);
  privileges.connectionOnline();
  privileges.handleMessage(parse(GRANT));
  await privileges.settled();
  assert.equal(privileges.canSetRoster("alice@example.org"), true);
  privileges.close();
});

Deno.test("the router gives server messages to the server handler, not the chat handler", async () => {
  const { router, sent } = recordingRouter();
  const chat: string[] = [];
  const server: string[] = [];
  router.onMessage("gateway", ({ stanza }) => void chat.push(stanza.attrs.from!));
  router.onServerMessage(({ stanza }) => void server.push(stanza.attrs.from!));
  await router.handle(parse(GRANT));
  await router.handle(
    parse(`<message from="alice@example.org/phone" to="${GW}"><body>help</body></message>`),
  );
  assert.deepEqual(server, ["example.org"]);
  assert.deepEqual(chat, ["alice@example.org/phone"]);
  assert.equal(sent.length, 0);
});

Deno.test("a failing server handler is logged, never answered", async () => {
  const { router, sent } = recordingRouter();
  router.onServerMessage(() => {
    throw new Error("boom");
  });
  await router.handle(parse(GRANT));
  assert.equal(sent.length, 0);
});
