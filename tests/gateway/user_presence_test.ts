/**
 * The offline policy with a real gateway core on the simulated network: the Messenger session
 * really ends and really comes back.
 */
import { Secret } from "../../src/secret.ts";
import assert from "node:assert/strict";
import { NullXmppPort } from "./_null_port.ts";
import { UserPresence } from "../../src/gateway/user_presence.ts";
import type { PresenceState } from "../../src/gateway/xmpp_port.ts";
import { parseCookies } from "../../src/messenger/credentials.ts";
import { testCore } from "./_core.ts";
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
  /** While set, putting contacts into the roster waits for it (a slow XMPP server). */
  rosterGate: Promise<void> | undefined;
  override async addContacts(): Promise<void> {
    await this.rosterGate;
  }
  override gatewayPresence(_user: string, presence: PresenceState): Promise<void> {
    this.states.push(presence.status ?? "");
    return Promise.resolve();
  }
}

async function fixture(keepSessionsWhenOffline: boolean, port = new QuietPort()) {
  const core = await testCore(port, {
    world: WORLD,
    seed: (kv) =>
      putUser(kv, {
        jid: ALICE,
        registeredAt: Date.now(),
        preferences: {},
        messengerSession: new Secret(JSON.stringify(parseCookies("c_user=100001; xs=abc"))),
      }),
  });
  const { gateway, network } = core;
  const presence = new UserPresence({
    keepSessionsWhenOffline,
    session: (jid) => gateway.session(jid),
  });
  const sessions = () => network.control.accounts()[0].sessions.length;
  await waitUntil(() => gateway.session(ALICE)?.state.status === "connected", "Alice is connected");
  return {
    gateway,
    presence,
    port,
    sessions,
    [Symbol.asyncDispose]: () => core[Symbol.asyncDispose](),
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

Deno.test("a resume while the first login is still syncing logs in again once it ends", async () => {
  // The roster push after the first login is slow: the user goes offline and comes back while
  // that login is still in progress.
  const port = new QuietPort();
  let release = () => {};
  port.rosterGate = new Promise((resolve) => (release = resolve));
  await using f = await fixture(false, port);
  f.presence.available(ALICE, "phone");
  f.presence.unavailable(ALICE, "phone");
  await f.presence.idle();
  assert.equal(f.sessions(), 0);
  f.presence.available(ALICE, "phone");
  release();
  await f.presence.idle();
  await waitUntil(
    () => f.gateway.session(ALICE)?.state.status === "connected" && f.sessions() === 1,
    "Alice is connected again",
  );
});
