/**
 * The registration paths the main registration tests leave out, end to end through a real Prosody
 * and the gateway process on the simulated network: in-band registration with cookies (a browser
 * export that names cookies `name`, and a cookie string), refusals of wrong and malformed cookies,
 * a restart with the stored session, and registration by chat for an account with two-factor
 * authentication (wrong code asked again).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { connectClient } from "./_harness/client.ts";
import { startGateway } from "./_harness/gateway.ts";
import {
  chatAsk,
  errorCondition,
  errorText,
  gatewayStatus,
  inBandRegistration,
  kvKeys,
  NS_REGISTER,
  submitForm,
} from "./_harness/gateway_client.ts";
import { startProsody } from "./_harness/prosody.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

const GRACE_XS = "grace-xs-7f3a9c";
const HEIDI_PASSWORD = "heidi secret pw";

const WORLD = `
[[account]]
email = "grace@example.com"
password = "grace password"
cookies = "c_user=100005; xs=${GRACE_XS}"
user_id = "100005"
name = "Grace Cookies"

  [[account.friend]]
  id = "200001"
  name = "Echo Bot"
  echo = true

[[account]]
email = "heidi@example.com"
password = "${HEIDI_PASSWORD}"
two_factor_code = "246810"
user_id = "100006"
name = "Heidi Twofactor"
`;

function cookieForm(cookies: string) {
  return submitForm({ FORM_TYPE: NS_REGISTER, cookies });
}

Deno.test({
  name: "registration with cookies: browser export and cookie string, refusals, restart",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await Promise.all(["grace", "ivan"].map((user) => server.register(user, `${user}-xmpp-pw`)));
    const dataDir = await Deno.makeTempDir({ prefix: "e2e-cookies-" });
    const config = { gateway: { data: join(dataDir, "gateway.kv") } };
    const gw = server.componentDomain;
    try {
      const first = await startGateway(server, { world: WORLD, config });
      await using grace = await connectClient(server, "grace", "grace-xmpp-pw");
      await using ivan = await connectClient(server, "ivan", "ivan-xmpp-pw");

      // Wrong cookies: refused with a sentence, nothing stored.
      const wrong = await inBandRegistration(
        ivan,
        gw,
        "set",
        cookieForm("c_user=100005; xs=not-the-right-one"),
      );
      assert.equal(errorCondition(wrong), "not-authorized", wrong.toString());
      assert.match(errorText(wrong), /expired cookies/);

      // Cookies that are not cookies: the user is told what the field expects.
      const garbage = await inBandRegistration(ivan, gw, "set", cookieForm("[{]"));
      assert.ok(errorCondition(garbage), garbage.toString());
      assert.match(errorText(garbage), /[Cc]ookie/);

      // A browser extension's export (objects with `name`, not fca's `key`) registers.
      const exported = JSON.stringify([
        { name: "c_user", value: "100005", domain: ".facebook.com", path: "/" },
        { name: "xs", value: GRACE_XS, domain: ".facebook.com", path: "/", httpOnly: true },
      ]);
      const done = await inBandRegistration(grace, gw, "set", cookieForm(exported));
      assert.equal(done.attrs.type, "result", done.toString());
      await gatewayStatus(grace, gw, /^Connected as Grace Cookies$/);

      // The same account by cookie string from another address works too.
      const byString = await inBandRegistration(
        ivan,
        gw,
        "set",
        cookieForm(`c_user=100005; xs=${GRACE_XS}`),
      );
      assert.equal(byString.attrs.type, "result", byString.toString());
      await first.waitForLog(/ivan@localhost registered as Messenger user 100005/);

      // A restart logs in from the stored session: no cookies or password asked again.
      assert.equal(await first.stop(), 0, first.output());
      const firstOutput = first.output();
      await first[Symbol.asyncDispose]();
      const keys = await kvKeys(config.gateway.data);
      assert.ok(keys.includes('["registration","grace@localhost"]'), keys.join("\n"));
      grace.clearPending();
      await using second = await startGateway(server, { world: WORLD, config });
      await gatewayStatus(grace, gw, /^Connected as Grace Cookies$/);
      assert.equal(await second.stop(), 0, second.output());

      for (const output of [firstOutput, second.output()]) {
        assert.ok(!output.includes(GRACE_XS), "a cookie value appeared in the gateway output");
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "registration by chat with two-factor authentication: a wrong code is asked again",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await server.register("heidi", "heidi-xmpp-pw");
    await using gateway = await startGateway(server, { world: WORLD });
    await using heidi = await connectClient(server, "heidi", "heidi-xmpp-pw");
    const gw = server.componentDomain;

    await chatAsk(heidi, gw, "register", /\(1\/3\) Email/);
    await chatAsk(heidi, gw, "heidi@example.com", /^\(2\/3\) Password/);
    // Email and password given: the cookies (their alternative) are not asked for.
    await chatAsk(heidi, gw, HEIDI_PASSWORD, /[Cc]ode/);
    const wrong = await chatAsk(heidi, gw, "000000", /[Cc]ode/);
    assert.match(wrong, /did not accept this code/);
    await chatAsk(heidi, gw, "246810", /\(1\/2\) Keep my Messenger password/);
    await chatAsk(heidi, gw, "no", /^\(2\/2\) Explain login problems/);
    await chatAsk(heidi, gw, "yes", /^Registration completed: welcome, Heidi Twofactor!/);
    await gatewayStatus(heidi, gw, /^Connected as Heidi Twofactor$/);
    assert.ok(!gateway.output().includes(HEIDI_PASSWORD), "the password reached the log");
  },
});
