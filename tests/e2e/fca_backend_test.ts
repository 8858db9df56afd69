/**
 * The real Messenger adapter (fca-unofficial in a Worker) end to end through a real Prosody:
 * the gateway runs in-process with the fca network pointed at the loopback fake of Facebook
 * (the only part that cannot be real here), and a real XMPP client sees the result.
 */
import { Secret } from "../../src/secret.ts";
import assert from "node:assert/strict";
import { startApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config/load.ts";
import { FcaNetwork } from "../../src/messenger/fca/fca_network.ts";
import { putUser } from "../../src/store/user_records.ts";
import { FakeFacebook } from "../messenger/fca/_fake_edge/fake_facebook.ts";
import { TEST_TIMINGS } from "../messenger/fca/_harness.ts";
import { connectClient } from "./_harness/client.ts";
import { startProsody } from "./_harness/prosody.ts";

Deno.test({
  name:
    "a registered user is logged in through fca at startup and sees it as the gateway's presence",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using server = await startProsody();
    await server.register("alice", "alicepw");
    const fake = new FakeFacebook();
    await fake.start();
    const dir = await Deno.makeTempDir();
    try {
      const cookies = fake.addAccount({ id: "100001", xs: "xs-100001-fca-e2e" });
      const kv = await Deno.openKv(`${dir}/gateway.kv`);
      await putUser(kv, {
        jid: "alice@localhost",
        registeredAt: Date.now(),
        preferences: {},
        messengerSession: new Secret(JSON.stringify(cookies)),
      });
      kv.close();

      const config = parseConfig(
        `[component]\njid = "${server.componentDomain}"\nsecret = "${server.componentSecret}"\n` +
          `port = ${server.componentPort}\n[gateway]\ndata = "${dir}/gateway.kv"\n` +
          `admins = ["admin@localhost"]\n[messenger]\nbackend = "facebook"\n`,
        `${dir}/config.toml`,
        {},
      );
      const network = new FcaNetwork({
        timings: TEST_TIMINGS,
        testOnly: { endpointOverride: { origin: fake.origin } },
      });
      await using alice = await connectClient(server, "alice", "alicepw");
      const app = await startApp(config, { network });
      try {
        const presence = await alice.waitFor(
          (s) =>
            s.is("presence") && s.attrs.from === server.componentDomain &&
            /Connected as/.test(s.getChildText("status") ?? ""),
          40_000,
          "the gateway's 'Connected as' presence",
        );
        assert.equal(presence.attrs.type, undefined);
        assert.ok(
          fake.requests.some((request) => request.host.endsWith("facebook.com")),
          "fca never talked to the fake Facebook",
        );
      } finally {
        await app.stop();
      }
      const gone = await alice.waitFor((s) =>
        s.is("presence") && s.attrs.from === server.componentDomain &&
        s.attrs.type === "unavailable"
      );
      assert.ok(gone);
    } finally {
      await fake.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
