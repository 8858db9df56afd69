/**
 * The fca Worker of one user crashing for real, end to end (run by session_faults_test.ts in a
 * child `deno test`: Deno prints every Worker killed by an uncaught error on stderr, which no code
 * can silence). A real Prosody, the gateway in-process with fca pointed at the fake Facebook, two
 * users, a Worker each: Alice's Worker crashes while Carol chats. Alice is told (the gateway's presence changes)
 * and is connected again after a re-login; Carol loses nothing and hears nothing of it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { startApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config/load.ts";
import { FcaNetwork } from "../../src/messenger/fca/fca_network.ts";
import type { FcaSession } from "../../src/messenger/fca/fca_session.ts";
import { FakeFacebook } from "../messenger/fca/_fake_edge/fake_facebook.ts";
import { TEST_TIMINGS } from "../messenger/fca/_harness.ts";
import { connectClient, xml, type XmlElement } from "./_harness/client.ts";
import { gatewayStatus } from "./_harness/gateway_client.ts";
import { startProsody } from "./_harness/prosody.ts";
import { seededUsersKv } from "./_harness/seeded_user.ts";

const ALICE = "100001";
const CAROL = "100003";
const BOB = "100002";
const FROM_BOB = 20;
const FROM_CAROL = 10;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test({
  name: "an fca Worker crash: its user is told and reconnected, the other user loses nothing",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using server = await startProsody();
    await server.register("alice", "alicepw");
    await server.register("carol", "carolpw");
    const fake = new FakeFacebook();
    await fake.start();
    await using kv = await seededUsersKv(
      [["alice", ALICE], ["carol", CAROL]].map(([user, id]) => ({
        jid: `${user}@localhost`,
        cookies: fake.addAccount({ id, xs: `xs-${id}-crash` }),
      })),
    );
    const config = parseConfig(
      `[component]\njid = "${server.componentDomain}"\nsecret = "${server.componentSecret}"\n` +
        `port = ${server.componentPort}\n[gateway]\ndata = "${kv.path}"\n` +
        `login_stagger_ms = 0\n[messenger]\nbackend = "facebook"\n`,
      `${kv.dir}/config.toml`,
      {},
    );
    // A Worker each (messenger.accounts_per_worker = 1): accounts sharing a Worker go down
    // together, which fca_shared_worker_test.ts covers.
    const network = new FcaNetwork({
      timings: TEST_TIMINGS,
      accountsPerWorker: 1,
      testOnly: { endpointOverride: { origin: fake.origin } },
    });
    const alice = await connectClient(server, "alice", "alicepw");
    const carol = await connectClient(server, "carol", "carolpw");
    const app = await startApp(config, { network });
    try {
      const gw = server.componentDomain;
      const bob = `${BOB}@${gw}`;
      await gatewayStatus(alice, gw, /^Connected as/, 40_000);
      await gatewayStatus(carol, gw, /^Connected as/, 40_000);
      alice.clearPending();
      carol.clearPending();

      for (let i = 1; i <= FROM_BOB; i++) {
        fake.deliverMessage(CAROL, {
          thread: BOB,
          isGroup: false,
          sender: BOB,
          text: `to carol ${i}`,
          at: Date.now(),
        });
        if (i <= FROM_CAROL) {
          await carol.send(
            xml("message", { type: "chat", to: bob, id: `c-${i}` }, xml("body", {}, `carol ${i}`)),
          );
        }
        if (i === 5) {
          const messenger = app.gateway.session("alice@localhost")!.messenger as FcaSession;
          await messenger.testOnlyWorkerFailure({ crash: true });
        }
        await sleep(100);
      }
      // Alice is told, and connected again after the re-login.
      const told = await gatewayStatus(alice, gw, /^(?!Connected as)/, 30_000);
      await gatewayStatus(alice, gw, /^Connected as/, 40_000);
      fake.deliverMessage(ALICE, { thread: BOB, isGroup: false, sender: BOB, text: "after" });
      await alice.waitFor(
        (s) => s.is("message") && s.getChildText("body") === "after",
        20_000,
        "Bob's message to Alice after the crash",
      );

      const deadline = Date.now() + 20_000;
      const carolGot = () =>
        new Set(
          carol.pending().filter((s: XmlElement) =>
            s.is("message") && s.attrs.from?.split("/")[0] === bob &&
            (s.getChildText("body")?.startsWith("to carol ") ?? false)
          ).map((s) => s.getChildText("body")),
        );
      const carolSent = () =>
        new Set(
          fake.requestsTo("/messaging/send/").map((r) => r.form.body).filter((body) =>
            body?.startsWith("carol ")
          ),
        );
      while (
        (carolGot().size < FROM_BOB || carolSent().size < FROM_CAROL) && Date.now() < deadline
      ) await sleep(50);
      const carolTold = carol.pending().filter((s) =>
        s.is("presence") && s.attrs.from === gw &&
        (s.attrs.type !== undefined || !/^Connected as/.test(s.getChildText("status") ?? ""))
      );
      console.log(
        `fca Worker crash: Alice told "${told}", connected again; Carol (chatting meanwhile): ` +
          `Bob sent ${FROM_BOB}, delivered ${carolGot().size}, lost ${
            FROM_BOB - carolGot().size
          }; ` +
          `Carol sent ${FROM_CAROL}, delivered ${carolSent().size}, lost ` +
          `${FROM_CAROL - carolSent().size}; Carol told of trouble ${carolTold.length}`,
      );
      assert.equal(carolGot().size, FROM_BOB);
      assert.equal(carolSent().size, FROM_CAROL);
      assert.deepEqual(carolTold.map((s) => s.toString()), []);
    } finally {
      await alice.close();
      await carol.close();
      await app.stop();
      await fake.close();
    }
  },
});
