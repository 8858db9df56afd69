import assert from "node:assert/strict";
import { buildChatMessage, buildReaction } from "../../src/xmpp/message_build.ts";
import { parseUserMessage } from "../../src/xmpp/message_parse.ts";
import { buildPrivilegedCarbon, isOwnInjectedCopy } from "../../src/xmpp/privileged_carbon.ts";
import { type Element, parseXml } from "../../src/xmpp/xml.ts";
import { assertXml } from "./_canonical_xml.ts";

const GATEWAY = "facebook.example.org";
const SERVER = "example.org";
const USER = "alice@example.org";
const CONTACT = `100001@${GATEWAY}`;
const privilege = { serverDomain: SERVER, gatewayDomain: GATEWAY };

/** What the user typed in the official app, as the message they would have sent. */
function sentFromPhone(): Element {
  return buildChatMessage({ from: USER, to: CONTACT, id: "mid.$own1", body: "from my phone" });
}

/** The inner message, as the server routes it back to the component (re-parsed from text). */
function routedBack(carbon: Element): Element {
  const inner = carbon.getChild("privilege", "urn:xmpp:privilege:2")
    ?.getChild("forwarded", "urn:xmpp:forward:0")?.getChild("message");
  assert.ok(inner, "the carbon wraps a message");
  return parseXml(inner.toString());
}

Deno.test("a privileged carbon wraps the user's message for their server (XEP-0356 v2)", () => {
  const carbon = buildPrivilegedCarbon(sentFromPhone(), { ...privilege, id: "p1" });
  assertXml(
    carbon,
    `<message to="${SERVER}" from="${GATEWAY}" id="p1">
      <privilege xmlns="urn:xmpp:privilege:2">
        <forwarded xmlns="urn:xmpp:forward:0">
          <message xmlns="jabber:client" type="chat" from="${USER}" to="${CONTACT}" id="mid.$own1">
            <body>from my phone</body>
            <markable xmlns="urn:xmpp:chat-markers:0"/>
            <origin-id xmlns="urn:xmpp:sid:0" id="mid.$own1"/>
            <store xmlns="urn:xmpp:hints"/>
            <injected xmlns="urn:x-messenger-gateway:injected:0" by="${GATEWAY}"/>
          </message>
        </forwarded>
      </privilege>
    </message>`,
  );
});

Deno.test("wrapping leaves the given message unchanged and picks a random outer id", () => {
  const inner = sentFromPhone();
  const before = inner.toString();
  const carbon = buildPrivilegedCarbon(inner, privilege);
  assert.equal(inner.toString(), before);
  assert.match(carbon.attrs.id ?? "", /^[0-9a-f-]{36}$/);
});

Deno.test("the copy the server routes back is recognised as the gateway's own", () => {
  const back = routedBack(buildPrivilegedCarbon(sentFromPhone(), privilege));
  assert.equal(isOwnInjectedCopy(back, GATEWAY), true);
  assert.equal(isOwnInjectedCopy(back, "FACEBOOK.example.org"), true, "domains are case-blind");
  // Without the check the gateway would take it for a new message from the user.
  const parsed = parseUserMessage(back);
  assert.ok(parsed.ok);
  assert.equal(parsed.message.actions[0].kind, "text");
});

Deno.test("reflected reactions are recognised too (any injected message kind)", () => {
  const reaction = buildReaction({ from: USER, to: CONTACT, target: "mid.$1", emojis: ["😂"] });
  assert.equal(
    isOwnInjectedCopy(routedBack(buildPrivilegedCarbon(reaction, privilege)), GATEWAY),
    true,
  );
});

Deno.test("a user's ordinary message, or one marked by another gateway, is not an own copy", () => {
  const ordinary = parseXml(
    `<message from="${USER}/phone" to="${CONTACT}" type="chat" id="c1"><body>hi</body></message>`,
  );
  assert.equal(isOwnInjectedCopy(ordinary, GATEWAY), false);
  const other = routedBack(
    buildPrivilegedCarbon(sentFromPhone(), {
      serverDomain: SERVER,
      gatewayDomain: "other.example",
    }),
  );
  assert.equal(isOwnInjectedCopy(other, GATEWAY), false);
  const unmarked = parseXml(
    `<message type="chat"><injected xmlns="urn:x-messenger-gateway:injected:0"/></message>`,
  );
  assert.equal(isOwnInjectedCopy(unmarked, GATEWAY), false, "the marker must name this gateway");
  assert.equal(isOwnInjectedCopy(parseXml(`<presence/>`), GATEWAY), false);
});
