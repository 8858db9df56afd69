/**
 * Secrets end to end, through a real Prosody and the gateway process (debug logging):
 * - users cannot censor the admin's log: a password chosen equal to a JID does not turn that JID
 *   into `***` in later lines, and no secret used (component secret, passwords, a two-factor code,
 *   cookie values) appears in any line;
 * - with a store key the KV file holds no cookie value, and starting without the key or with
 *   another one is exit code 4 with a sentence, never a start that logs every user out.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { connectClient } from "./_harness/client.ts";
import { startGateway } from "./_harness/gateway.ts";
import {
  AdhocRun,
  credentialsForm,
  errorCondition,
  formOf,
  gatewayStatus,
  inBandRegistration,
  NS_REGISTER,
  submitForm,
} from "./_harness/gateway_client.ts";
import { startProsody } from "./_harness/prosody.ts";
import { seededKv } from "./_harness/seeded_user.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

const CAROL_XS = "carol-xs-K7Fq2ZpW9vB3";
const WORLD = `
[[account]]
email = "alice@example.com"
password = "correct horse"
user_id = "100001"
name = "Alice Example"

[[account]]
email = "bob@example.com"
password = "bob secret pw"
two_factor_code = "654321"
user_id = "100002"
name = "Bob Twofactor"

[[account]]
email = "carol@example.com"
password = "carol password 77"
cookies = "c_user=100003; xs=${CAROL_XS}"
user_id = "100003"
name = "Carol Cookies"
`;

Deno.test({
  name: "users cannot censor the admin's log, and no secret of the run reaches it",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await Promise.all(
      ["mallory", "bob", "carol"].map((user) => server.register(user, `${user}-xmpp-pw`)),
    );
    const data = await Deno.makeTempDir({ prefix: "e2e-secrets-" });
    try {
      await using gateway = await startGateway(server, {
        world: WORLD,
        config: {
          gateway: { data: join(data, "gateway.kv"), allowed_jids: [".*@localhost"] },
        },
      });
      const gw = server.componentDomain;
      await using mallory = await connectClient(server, "mallory", "mallory-xmpp-pw");

      // A registration that fails, with a password chosen to hide a JID from the admin.
      const refused = await inBandRegistration(
        mallory,
        gw,
        "set",
        credentialsForm("alice@example.com", "mallory@localhost"),
      );
      assert.equal(errorCondition(refused), "not-authorized", refused.toString());
      // Later lines about that JID must still name it.
      const registered = await inBandRegistration(
        mallory,
        gw,
        "set",
        credentialsForm("alice@example.com", "correct horse"),
      );
      assert.equal(registered.attrs.type, "result", registered.toString());
      await gateway.waitForLog(/mallory@localhost registered as Messenger user 100001/, 15_000);
      await gatewayStatus(mallory, gw, /^Connected as Alice Example$/);

      // A two-factor login (a wrong code, then the right one) and a cookie registration.
      await using bob = await connectClient(server, "bob", "bob-xmpp-pw");
      const twoFactor = new AdhocRun(bob, gw, NS_REGISTER);
      await twoFactor.execute();
      assert.deepEqual(
        formOf(await twoFactor.submit({ email: "bob@example.com", password: "bob secret pw" }))
          .fields,
        ["code"],
      );
      assert.equal(errorCondition(await twoFactor.submit({ code: "000917" })), "bad-request");
      await twoFactor.submit({ code: "654321" });
      await gateway.waitForLog(/bob@localhost registered as Messenger user 100002/, 15_000);
      await using carol = await connectClient(server, "carol", "carol-xmpp-pw");
      const cookies = await inBandRegistration(
        carol,
        gw,
        "set",
        submitForm({ FORM_TYPE: NS_REGISTER, cookies: `c_user=100003; xs=${CAROL_XS}` }),
      );
      assert.equal(cookies.attrs.type, "result", cookies.toString());
      await gateway.waitForLog(/carol@localhost registered as Messenger user 100003/, 15_000);
      assert.equal(await gateway.stop(), 0);

      const lines = gateway.lines();
      const secrets = {
        "component secret": server.componentSecret,
        "Alice's password": "correct horse",
        "Bob's password": "bob secret pw",
        "the two-factor code": "654321",
        "the wrong two-factor code": "000917",
        "Carol's xs cookie": CAROL_XS,
      };
      const leaks = Object.entries(secrets).flatMap(([what, value]) =>
        lines.filter((line) => line.includes(value)).map((line) => `${what}: ${line}`)
      );
      const naming = lines.filter((line) => line.includes("mallory@localhost"));
      const censored = lines.filter((line) => /\*\*\*/.test(line));
      console.log(
        `log lines ${lines.length}: secrets found ${leaks.length}, lines naming ` +
          `mallory@localhost ${naming.length}, lines with *** ${censored.length}`,
      );
      assert.deepEqual(leaks, [], "secrets in the log");
      assert.ok(naming.length >= 2, "the JID is named in the log");
      assert.deepEqual(censored, [], "lines censored by a user's password");
    } finally {
      await Deno.remove(data, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test({
  name: "with a store key no cookie is in the KV file, and a missing or wrong key is exit 4",
  ...e2e,
  async fn() {
    const XS = "xs-at-rest-Wq93kLm27PzR";
    await using server = await startProsody();
    await server.register("alice", "alicepw");
    // Alice registered before the admin gave a key: her cookies are in clear, then sealed.
    await using kv = await seededKv("alice@localhost", `c_user=100001; xs=${XS}`);
    const raw = async () => {
      let text = "";
      for await (const entry of Deno.readDir(kv.dir)) {
        text += new TextDecoder("latin1").decode(await Deno.readFile(join(kv.dir, entry.name)));
      }
      return text;
    };
    assert.ok((await raw()).includes(XS), "the seeded record is in clear");
    const key = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
    const world = `[[account]]
email = "alice@example.com"
password = "correct horse"
cookies = "c_user=100001; xs=${XS}"
user_id = "100001"
name = "Alice Example"
`;
    const config = { gateway: { data: kv.path } };
    await using alice = await connectClient(server, "alice", "alicepw");
    {
      await using gateway = await startGateway(server, {
        world,
        config,
        env: { MESSENGER_GATEWAY_STORE_KEY: key },
      });
      await gateway.waitForLog(/Encrypted the secrets of 1 users with the store key/);
      await gatewayStatus(alice, server.componentDomain, /^Connected as Alice Example$/);
      assert.equal(await gateway.stop(), 0);
      assert.doesNotMatch(gateway.output(), new RegExp(`${XS}|${key.replace(/\+/g, "\\+")}`));
    }
    assert.ok(!(await raw()).includes(XS), "a cookie value is in the KV file");

    for (
      const [env, expected] of [
        [{}, /keeps its secrets encrypted, but no key was given/],
        [
          { MESSENGER_GATEWAY_STORE_KEY: Buffer.from(new Uint8Array(32)).toString("base64") },
          /The store key from MESSENGER_GATEWAY_STORE_KEY does not open the store/,
        ],
      ] as const
    ) {
      await using refused = await startGateway(server, {
        world,
        config,
        env,
        expectOnline: false,
      });
      const { code } = await refused.exited;
      assert.equal(code, 4, refused.output());
      assert.match(refused.output(), expected);
    }

    // The right key through a systemd credential: Alice is logged in again from the store.
    const credentials = await Deno.makeTempDir({ prefix: "e2e-credentials-" });
    try {
      await Deno.writeTextFile(join(credentials, "store-key"), key);
      await using gateway = await startGateway(server, {
        world,
        config,
        env: { CREDENTIALS_DIRECTORY: credentials },
      });
      await gatewayStatus(alice, server.componentDomain, /^Connected as Alice Example$/);
      assert.doesNotMatch(gateway.output(), /Needs re-authentication|no saved Messenger session/);
    } finally {
      await Deno.remove(credentials, { recursive: true });
    }
  },
});
