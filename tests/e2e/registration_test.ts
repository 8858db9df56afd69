/**
 * Registration end to end, through a real Prosody and the real gateway process on the simulated
 * network: XEP-0077 in-band registration with @xmpp/client and with slixmpp, every refusal
 * (wrong password, checkpoint, two-factor, JID not allowed — also via ad-hoc), a gateway restart
 * with the user staying logged in, and `<remove/>` leaving no data behind.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { connectClient, xml } from "./_harness/client.ts";
import { startGateway } from "./_harness/gateway.ts";
import {
  AdhocRun,
  credentialsForm,
  errorCondition,
  errorText,
  gatewayStatus,
  inBandRegistration,
  kvKeys,
  messageContactBounce,
  NS_COMMANDS,
  NS_REGISTER,
} from "./_harness/gateway_client.ts";
import { startProsody } from "./_harness/prosody.ts";
import { slixmppIq } from "./_harness/slixmpp.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

const WORLD = `
[[account]]
email = "alice@example.com"
password = "correct horse"
user_id = "100001"
name = "Alice Example"

  [[account.friend]]
  id = "200001"
  name = "Echo Bot"
  echo = true

[[account]]
email = "carol@example.com"
password = "battery staple"
user_id = "100002"
name = "Carol Second"

  [[account.friend]]
  id = "200001"
  name = "Echo Bot"

[[account]]
email = "bob@example.com"
password = "bob secret pw"
two_factor_code = "123456"
user_id = "100003"
name = "Bob Twofactor"

[[account]]
email = "dave@example.com"
password = "hunter22"
user_id = "100004"
name = "Dave Locked"
checkpoint = true
`;

const PASSWORDS = ["correct horse", "battery staple", "bob secret pw", "hunter22", "wrong horse"];

Deno.test({
  name: "in-band registration: success with two clients, every refusal, restart, and <remove/>",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await Promise.all(
      ["alice", "carol", "bob", "dave", "frank", "eve", "admin"].map((user) =>
        server.register(user, `${user}-xmpp-pw`)
      ),
    );
    const dataDir = await Deno.makeTempDir({ prefix: "e2e-registration-" });
    const kvPath = join(dataDir, "gateway.kv");
    const config = {
      gateway: {
        data: kvPath,
        allowed_jids: ["(alice|bob|carol|dave|frank)@localhost"],
      },
    };
    const gw = server.componentDomain;
    try {
      const first = await startGateway(server, { world: WORLD, config });
      await using admin = await connectClient(server, "admin", "admin-xmpp-pw");
      await using alice = await connectClient(server, "alice", "alice-xmpp-pw");

      // get: instructions, legacy fields and the form; not registered yet.
      const form = await inBandRegistration(alice, gw, "get");
      assert.equal(form.attrs.type, "result", form.toString());
      const query = form.getChild("query", NS_REGISTER)!;
      assert.equal(query.getChild("registered"), undefined);
      assert.match(query.getChildText("instructions") ?? "", /email and password/);
      assert.doesNotMatch(query.getChildText("instructions") ?? "", /next step/);
      assert.ok(query.getChild("username") && query.getChild("password"));
      const fields = query.getChild("x", "jabber:x:data")!.getChildren("field");
      assert.deepEqual(fields.map((f) => f.attrs.var), [
        "FORM_TYPE",
        "email",
        "password",
        "cookies",
      ]);

      // set: registered, welcomed, logged in; the admin is told.
      const done = await inBandRegistration(
        alice,
        gw,
        "set",
        credentialsForm("alice@example.com", "correct horse"),
      );
      assert.equal(done.attrs.type, "result", done.toString());
      await gatewayStatus(alice, gw, /^Connected as Alice Example$/);
      const welcome = await alice.waitFor((s) =>
        s.is("message") && s.attrs.from === gw && /^Welcome/.test(s.getChildText("body") ?? "")
      );
      assert.match(welcome.getChildText("body")!, /logged in to Messenger as Alice Example/);
      const notice = await admin.waitFor((s) => s.is("message") && s.attrs.from === gw);
      assert.equal(notice.getChildText("body"), "alice@localhost has registered");
      const again = await inBandRegistration(alice, gw, "get");
      assert.ok(again.getChild("query", NS_REGISTER)?.getChild("registered"), again.toString());

      // An independent client (slixmpp) registers with the same form: get, then set.
      const [slixGet, slixSet] = await slixmppIq(server, "carol", "carol-xmpp-pw", [
        `<iq type="get" to="${gw}"><query xmlns="${NS_REGISTER}"/></iq>`,
        `<iq type="set" to="${gw}"><query xmlns="${NS_REGISTER}">` +
        `<x xmlns="jabber:x:data" type="submit">` +
        `<field var="FORM_TYPE"><value>${NS_REGISTER}</value></field>` +
        `<field var="email"><value>carol@example.com</value></field>` +
        `<field var="password"><value>battery staple</value></field></x></query></iq>`,
      ], { timeoutMs: 15_000 });
      assert.equal(slixGet.attrs.type, "result", slixGet.toString());
      assert.ok(slixGet.getChild("query", NS_REGISTER)?.getChild("x", "jabber:x:data"));
      assert.equal(slixSet.attrs.type, "result", slixSet.toString());
      await first.waitForLog(/carol@localhost registered as Messenger user 100002/);

      // Wrong password: not-authorized with a sentence.
      await using frank = await connectClient(server, "frank", "frank-xmpp-pw");
      const wrong = await inBandRegistration(
        frank,
        gw,
        "set",
        credentialsForm("alice@example.com", "wrong horse"),
      );
      assert.equal(errorCondition(wrong), "not-authorized", wrong.toString());
      assert.match(errorText(wrong), /^Messenger refused these credentials/);
      assert.doesNotMatch(wrong.toString(), /wrong horse/, "the password was echoed");

      // A checkpointed account: explained.
      await using dave = await connectClient(server, "dave", "dave-xmpp-pw");
      const locked = await inBandRegistration(
        dave,
        gw,
        "set",
        credentialsForm("dave@example.com", "hunter22"),
      );
      assert.equal(errorCondition(locked), "not-authorized");
      assert.match(errorText(locked), /security check: log in at facebook\.com in a browser/);

      // Two-factor cannot be done in one step: pointed to the command.
      await using bob = await connectClient(server, "bob", "bob-xmpp-pw");
      const twoFactor = await inBandRegistration(
        bob,
        gw,
        "set",
        credentialsForm("bob@example.com", "bob secret pw"),
      );
      assert.equal(errorCondition(twoFactor), "not-acceptable");
      assert.match(errorText(twoFactor), /'Register' \(ad-hoc command jabber:iq:register/);

      // A JID not allowed: refused by in-band registration and by the ad-hoc command.
      await using eve = await connectClient(server, "eve", "eve-xmpp-pw");
      const eveIbr = await inBandRegistration(
        eve,
        gw,
        "set",
        credentialsForm("alice@example.com", "correct horse"),
      );
      assert.equal(errorCondition(eveIbr), "not-allowed", eveIbr.toString());
      assert.match(errorText(eveIbr), /not open to your address/);
      const eveAdhoc = await new AdhocRun(eve, gw, NS_REGISTER).execute();
      assert.equal(errorCondition(eveAdhoc), "forbidden", eveAdhoc.toString());
      assert.match(errorText(eveAdhoc), /your address is not allowed to use this gateway/);
      const eveItems = await eve.iq(
        xml(
          "iq",
          { type: "get", to: gw },
          xml("query", { xmlns: "http://jabber.org/protocol/disco#items", node: NS_COMMANDS }),
        ),
      );
      const eveNodes = eveItems.getChild("query")!.getChildren("item").map((i) => i.attrs.node);
      assert.deepEqual(eveNodes, ["info"]);

      // Restart: registered users log in again by themselves; refused ones left nothing.
      assert.equal(await first.stop(), 0, first.output());
      const firstOutput = first.output();
      await first[Symbol.asyncDispose]();
      const keys = await kvKeys(kvPath);
      assert.deepEqual(
        keys.filter((key) => key.startsWith('["registration"')).sort(),
        ['["registration","alice@localhost"]', '["registration","carol@localhost"]'],
      );
      for (const user of ["frank", "dave", "bob", "eve"]) {
        assert.ok(keys.every((key) => !key.includes(`${user}@localhost`)), keys.join("\n"));
      }
      alice.clearPending();
      await using second = await startGateway(server, { world: WORLD, config });
      await gatewayStatus(alice, gw, /^Connected as Alice Example$/);
      const frankGet = await inBandRegistration(frank, gw, "get");
      assert.equal(frankGet.getChild("query", NS_REGISTER)?.getChild("registered"), undefined);
      assert.equal(await messageContactBounce(frank, `200001@${gw}`), "registration-required");

      // <remove/>: unregistered, the gateway leaves the roster, contacts refuse messages.
      const removed = await inBandRegistration(alice, gw, "set", xml("remove"));
      assert.equal(removed.attrs.type, "result", removed.toString());
      // (How the roster entries go away depends on the server's privileges; unavailable always
      // reaches the client.)
      await alice.waitFor((s) =>
        s.is("presence") && s.attrs.from === gw && s.attrs.type === "unavailable"
      );
      assert.equal(await messageContactBounce(alice, `200001@${gw}`), "registration-required");
      const removeAgain = await inBandRegistration(alice, gw, "set", xml("remove"));
      assert.equal(errorCondition(removeAgain), "registration-required");
      const adminNotice = await admin.waitFor((s) =>
        s.is("message") && /unregistered/.test(s.getChildText("body") ?? "")
      );
      assert.equal(adminNotice.getChildText("body"), "alice@localhost has unregistered (user)");

      assert.equal(await second.stop(), 0, second.output());
      const after = await kvKeys(kvPath);
      assert.ok(after.every((key) => !key.includes("alice@localhost")), after.join("\n"));
      assert.ok(after.includes('["registration","carol@localhost"]'), after.join("\n"));

      // No password ever reached the log.
      for (const output of [firstOutput, second.output()]) {
        for (const password of PASSWORDS) {
          assert.ok(!output.includes(password), `a password appeared in the gateway output`);
        }
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
