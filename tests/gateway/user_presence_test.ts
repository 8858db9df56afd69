/**
 * The offline policy with a real gateway core on the simulated network: the Messenger session
 * really ends and really comes back.
 */
import { Secret } from "../../src/secret.ts";
import assert from "node:assert/strict";
import { NullXmppPort } from "./_null_port.ts";
import { Gateway } from "../../src/gateway/gateway.ts";
import { UserPresence } from "../../src/gateway/user_presence.ts";
import type { PresenceState } from "../../src/gateway/xmpp_port.ts";
import { parseCookies } from "../../src/messenger/credentials.ts";
import { parseWorld, SimulatedNetwork } from "../../src/messenger/simulated/mod.ts";
import { putUser } from "../../src/store/user_records.ts";
import { waitUntil } from "../_wait.ts";

const ALICE = "alice@example.org";
const WORLD = `
[[account]]
email = "alice@example.com"
password = "correct horse"
cookies = "c_user=100001; xs=abc"
user_id = "100001"
name = "Alice Example"
  [[account.friend]]
  id = "200001"
  name = "Echo Bot"
`;

class QuietPort extends NullXmppPort {
  readonly states: string[] = [];
  override gatewayPresence(_user: string, presence: PresenceState): Promise<void> {
    this.states.push(presence.status ?? "");
    return Promise.resolve();
  }
}

async function fixture(keepSessionsWhenOffline: boolean) {
  const kv = await Deno.openKv(":memory:");
  const network = new SimulatedNetwork(parseWorld(WORLD, "<inline>"));
  await putUser(kv, {
    jid: ALICE,
    registeredAt: Date.now(),
    preferences: {},
    messengerSession: new Secret(JSON.stringify(parseCookies("c_user=100001; xs=abc"))),
  });
  const port = new QuietPort();
  const gateway = new Gateway({
    settings: {
      name: "Test gateway",
      admins: [],
      allowedJids: [],
      loginStaggerMs: 0,
      rosterMaxContacts: 100,
      retryDelayMs: 3_600_000,
      cookieSaveIntervalMs: 3_600_000,
    },
    kv,
    network,
    xmpp: port,
  });
  const presence = new UserPresence({
    keepSessionsWhenOffline,
    session: (jid) => gateway.session(jid),
  });
  await gateway.start();
  const sessions = () => network.control.accounts()[0].sessions.length;
  await waitUntil(() => gateway.session(ALICE)?.state.status === "connected", "Alice is connected");
  return {
    gateway,
    presence,
    port,
    sessions,
    async [Symbol.asyncDispose]() {
      await gateway.stop();
      await network.close();
      kv.close();
    },
  };
}

Deno.test("the Messenger session ends when the last resource leaves, and comes back with the user", async () => {
  await using f = await fixture(false);
  assert.equal(f.sessions(), 1);
  f.presence.available(ALICE, "phone");
  f.presence.unavailable(ALICE, "phone");
  await f.presence.idle();
  assert.equal(f.sessions(), 0, "the simulated network has no session of Alice any more");
  assert.equal(f.gateway.session(ALICE)?.suspended, true);
  assert.equal(f.gateway.session(ALICE)?.state.status, "logged_out");
  assert.equal(f.gateway.isRegistered(ALICE), true, "Alice stays registered");

  // A login attempt of another path (startup, retry) does not override the policy.
  await f.gateway.session(ALICE)!.loginFromStore();
  assert.equal(f.sessions(), 0);

  assert.equal(f.presence.available(ALICE, "phone"), true);
  await f.presence.idle();
  await waitUntil(
    () => f.gateway.session(ALICE)?.state.status === "connected",
    "Alice is connected again",
  );
  assert.equal(f.sessions(), 1);
  assert.equal(f.port.states.at(-1), "Connected as Alice Example");
});

Deno.test("by default the Messenger session stays when the user goes offline", async () => {
  await using f = await fixture(true);
  f.presence.available(ALICE, "phone");
  f.presence.unavailable(ALICE, "phone");
  await f.presence.idle();
  assert.equal(f.sessions(), 1);
  assert.equal(f.gateway.session(ALICE)?.state.status, "connected");
});

Deno.test("resources are counted per user and reset forgets them without suspending", async () => {
  await using f = await fixture(false);
  assert.equal(f.presence.available(ALICE, "phone"), true);
  assert.equal(f.presence.available(ALICE, "phone"), false);
  assert.equal(f.presence.available("ALICE@example.org", "laptop"), true);
  assert.deepEqual(f.presence.resources(ALICE).sort(), ["laptop", "phone"]);
  f.presence.reset();
  await f.presence.idle();
  assert.equal(f.presence.isOnline(ALICE), false);
  assert.equal(f.sessions(), 1);
});
