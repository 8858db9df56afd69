/**
 * Several Messenger accounts per fca Worker (`messenger.accounts_per_worker = 2`), end to end: a
 * real Prosody, three XMPP users, the gateway in-process with the real adapter pointed at the
 * loopback fake of Facebook. When the Worker of two of them crashes, each of those two users is
 * told once (the gateway's presence goes to "Reconnecting: …") and gets their messages again
 * after the re-login; the third user, whose account is in another Worker, sees nothing at all.
 */
import assert from "node:assert/strict";
import { startApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config/load.ts";
import { FcaNetwork } from "../../src/messenger/fca/fca_network.ts";
import type { FcaSession } from "../../src/messenger/fca/fca_session.ts";
import type { MessengerNetwork } from "../../src/messenger/session.ts";
import { FakeFacebook } from "../messenger/fca/_fake_edge/fake_facebook.ts";
import { TEST_TIMINGS, waitFor } from "../messenger/fca/_harness.ts";
import { connectClient, type TestClient, type XmlElement } from "./_harness/client.ts";
import { startProsody } from "./_harness/prosody.ts";
import { seededUsersKv } from "./_harness/seeded_user.ts";

const USERS = [
  { name: "alice", messenger: "100001" },
  { name: "bob", messenger: "100002" },
  { name: "carol", messenger: "100003" },
];
const FRIEND = "200001";

Deno.test({
  name: "a crashed shared fca Worker tells exactly its users once; a user on another goes on",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using server = await startProsody();
    const fake = new FakeFacebook();
    await fake.start();
    const clients = new Map<string, TestClient>();
    try {
      for (const user of USERS) await server.register(user.name, `${user.name}pw`);
      await using kv = await seededUsersKv(USERS.map((user) => ({
        jid: `${user.name}@localhost`,
        cookies: fake.addAccount({ id: user.messenger, xs: `xs-${user.messenger}-shared` }),
      })));
      const config = parseConfig(
        `[component]\njid = "${server.componentDomain}"\nsecret = "${server.componentSecret}"\n` +
          `port = ${server.componentPort}\n[gateway]\ndata = "${kv.path}"\n` +
          `login_stagger_ms = 0\n[messenger]\nbackend = "facebook"\naccounts_per_worker = 2\n`,
        `${kv.dir}/config.toml`,
        {},
      );
      const fca = new FcaNetwork({
        timings: TEST_TIMINGS,
        accountsPerWorker: config.messenger.accountsPerWorker,
        testOnly: { endpointOverride: { origin: fake.origin } },
      });
      // The sessions in the order the gateway asked for them, which is the order they were
      // placed in Workers (logins may finish in another order): the first two share a Worker.
      const sessions: FcaSession[] = [];
      let calls = 0;
      const network: MessengerNetwork = {
        name: fca.name,
        login: async (credentials, options) => {
          const slot = calls++;
          const result = await fca.login(credentials, options);
          if (result.kind === "logged_in") sessions[slot] = result.session as FcaSession;
          return result;
        },
        close: () => fca.close(),
      };
      for (const user of USERS) {
        clients.set(user.messenger, await connectClient(server, user.name, `${user.name}pw`));
      }
      const gw = server.componentDomain;
      const fromGateway = (status: RegExp) => (s: XmlElement) =>
        s.is("presence") && s.attrs.from === gw && status.test(s.getChildText("status") ?? "");
      const app = await startApp(config, { network });
      try {
        for (const client of clients.values()) {
          await client.waitFor(fromGateway(/Connected as/), 20_000, "'Connected as'");
          // The contact sync after the login shows the gateway's presence once more (with the
          // roster pushed): done with that before the crash, whose notice it would otherwise
          // repeat.
          await client.waitFor(
            fromGateway(/Connected as/),
            20_000,
            "the contact sync's 'Connected as'",
          );
        }
        await waitFor(
          "all three on the fake's edge",
          () => USERS.every((user) => fake.liveConnections(user.messenger).length === 1),
        );
        await waitFor("three sessions", () => sessions.filter(Boolean).length === 3);
        assert.equal(fca.workers, 2, "two accounts in one Worker, the third in another");
        const [crashing, sharing, elsewhere] = sessions.map((session) => {
          const id = session.self.id;
          return { id, client: clients.get(id)! };
        });
        for (const client of clients.values()) client.clearPending();

        await sessions[0].testOnlyWorkerFailure({ crash: true });

        for (const { client } of [crashing, sharing]) {
          await client.waitFor(fromGateway(/^Reconnecting: /), 20_000, "'Reconnecting'");
          await client.waitFor(fromGateway(/Connected as/), 30_000, "'Connected as' again");
        }
        // Afterwards each user gets a new message: everything the gateway said about the crash
        // came before it.
        for (const { id, client } of [crashing, sharing, elsewhere]) {
          const text = `After the crash, for ${id}`;
          let sentAt = 0;
          await waitFor(`the message for ${id}`, () => {
            if (client.pending().some((s) => s.getChildText("body") === text)) return true;
            if (Date.now() - sentAt >= 1_000) { // again until the new connection takes it
              fake.deliverMessage(id, {
                thread: FRIEND,
                isGroup: false,
                sender: FRIEND,
                text,
                id: `mid.$shared-e2e-${id}`,
              });
              sentAt = Date.now();
            }
            return false;
          }, 30_000);
        }
        for (const { client } of [crashing, sharing]) {
          const again = client.pending().filter(fromGateway(/^Reconnecting/));
          assert.deepEqual(again.map(String), [], "told once");
        }
        const said = elsewhere.client.pending().filter((s) =>
          s.is("presence") && s.attrs.from === gw
        );
        assert.deepEqual(said.map(String), [], "the user on the other Worker was told nothing");
      } finally {
        await app.stop();
      }
    } finally {
      for (const client of clients.values()) await client.close();
      await fake.close();
    }
  },
});
