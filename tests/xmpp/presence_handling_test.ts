import assert from "node:assert/strict";
import { describeLoginState, type LoginState } from "../../src/gateway/login_state.ts";
import { UserPresence } from "../../src/gateway/user_presence.ts";
import type { ContactCard } from "../../src/gateway/xmpp_port.ts";
import type { RegisteredUser } from "../../src/gateway/core_port.ts";
import { lookUpFriend } from "../../src/gateway/friend_lookup.ts";
import { asUserId, type UserId } from "../../src/messenger/ids.ts";
import type { MessengerSession, UserInfo } from "../../src/messenger/session.ts";
import { registerPresenceHandling } from "../../src/xmpp/presence_handling.ts";
import { Router } from "../../src/xmpp/router.ts";
import type { Element } from "../../src/xmpp/xml.ts";
import { ALICE, fakeServer, GW, parse } from "./_fake_server.ts";
import { errorCondition } from "./_stanzas.ts";

const PHONE = `${ALICE}/phone`;
const ECHO: ContactCard = { id: asUserId("200001"), name: "Echo Bot" };

interface FakeSession extends RegisteredUser {
  messenger: MessengerSession | undefined;
  suspended: boolean;
  calls: string[];
  suspend(): Promise<void>;
  resume(): Promise<void>;
}

function fakeSession(
  state: LoginState,
  options: { contacts?: ContactCard[]; others?: UserInfo[] } = {},
): FakeSession {
  const contacts = new Map((options.contacts ?? [ECHO]).map((card) => [card.id, card]));
  const messenger = state.status === "connected"
    ? {
      getUserInfo: (ids: UserId[]) =>
        Promise.resolve((options.others ?? []).filter((info) => ids.includes(info.id))),
    } as unknown as MessengerSession
    : undefined;
  const session: FakeSession = {
    jid: ALICE,
    state,
    messenger,
    contacts: [...contacts.values()],
    contact: (id: UserId) => contacts.get(id),
    contactPresence: () => ({ available: state.status === "connected" }),
    presence: () => ({
      available: state.status !== "logged_out",
      status: describeLoginState(state),
    }),
    suspended: false,
    calls: [],
    contactRemovedFromRoster(contact: UserId, removed: boolean) {
      session.calls.push(`${removed ? "removed" : "added back"} ${contact}`);
      return Promise.resolve();
    },
    suspend() {
      session.suspended = true;
      session.calls.push("suspend");
      return Promise.resolve();
    },
    resume() {
      session.suspended = false;
      session.calls.push("resume");
      return Promise.resolve();
    },
  };
  return session;
}

function setup(
  session: FakeSession | undefined,
  options: { keepSessionsWhenOffline?: boolean } = {},
) {
  const server = fakeServer({ privileged: false });
  const unregistered: string[] = [];
  const router = new Router({
    domain: GW,
    send: (stanza) => void server.sent.push(stanza),
    isRegistered: (jid) => session !== undefined && jid === ALICE,
  });
  const presence = new UserPresence({
    keepSessionsWhenOffline: options.keepSessionsWhenOffline ?? true,
    session: (jid) => (jid === ALICE ? session : undefined),
  });
  registerPresenceHandling(router, {
    senders: server.senders,
    core: {
      resources: presence,
      user: (jid) => (jid === ALICE ? session : undefined),
      users: () => (session ? [session] : []),
      unregister: async (jid) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        unregistered.push(jid);
        return true;
      },
      lookUpFriend: (_user, id) =>
        session ? lookUpFriend(session, id) : Promise.resolve({ kind: "unknown" }),
    },
    send: (stanza) => void server.sent.push(stanza),
  });
  const take = () => server.sent.splice(0);
  return { router, sent: server.sent, take, unregistered, presence };
}

const CONNECTED: LoginState = { status: "connected", name: "Alice Example" };

function summary(stanzas: Element[]): string[] {
  return stanzas.map((s) =>
    `${s.name} ${s.attrs.type ?? "available"} ${s.attrs.from} → ${s.attrs.to}${
      s.getChildText("status") ? ` "${s.getChildText("status")}"` : ""
    }`
  );
}

Deno.test("a resource coming online hears each presence once: through its server's probes", async () => {
  const { router, take, presence } = setup(fakeSession(CONNECTED));
  // What Prosody sends for a new resource: its presence broadcast to the gateway and to each
  // contact, then a probe to each of them (RFC 6121 §4.2).
  await router.handle(parse(`<presence from="${PHONE}" to="${GW}"/>`));
  await router.handle(parse(`<presence from="${PHONE}" to="200001@${GW}"/>`));
  await router.handle(parse(`<presence type="probe" from="${PHONE}" to="${GW}"/>`));
  await router.handle(parse(`<presence type="probe" from="${PHONE}" to="200001@${GW}"/>`));
  assert.deepEqual(summary(take()), [
    `presence available ${GW} → ${PHONE} "Connected as Alice Example"`,
    `presence available 200001@${GW} → ${PHONE}`,
  ]);
  assert.deepEqual(presence.resources(ALICE), ["phone"]);
  // Later presence changes of the resource are not answered either.
  await router.handle(parse(`<presence from="${PHONE}" to="${GW}"><show>away</show></presence>`));
  assert.deepEqual(take(), []);
});

Deno.test("probes are answered from stored state", async () => {
  const { router, take } = setup(fakeSession({ status: "needs_reauth", reason: "expired" }));
  await router.handle(parse(`<presence type="probe" from="${ALICE}" to="${GW}"/>`));
  await router.handle(parse(`<presence type="probe" from="${ALICE}" to="200001@${GW}"/>`));
  await router.handle(parse(`<presence type="probe" from="${ALICE}" to="300001@${GW}"/>`));
  assert.deepEqual(summary(take()), [
    `presence available ${GW} → ${ALICE} "Needs re-authentication: expired"`,
    `presence unavailable 200001@${GW} → ${ALICE}`,
    `presence unavailable 300001@${GW} → ${ALICE}`,
  ]);

  const connected = setup(fakeSession(CONNECTED));
  await connected.router.handle(
    parse(`<presence type="probe" from="${ALICE}" to="200001@${GW}"/>`),
  );
  assert.deepEqual(summary(connected.take()), [`presence available 200001@${GW} → ${ALICE}`]);
});

Deno.test("contacts' presences are the session's (contacts.presence), status included", async () => {
  const session = fakeSession(CONNECTED);
  session.contactPresence = () => ({
    available: false,
    status: "Last active 2023-11-14 22:14 UTC",
  });
  const { router, take } = setup(session);
  await router.handle(parse(`<presence type="probe" from="${ALICE}" to="200001@${GW}"/>`));
  await router.handle(parse(`<presence type="probe" from="${PHONE}" to="200001@${GW}"/>`));
  assert.deepEqual(summary(take()), [
    `presence unavailable 200001@${GW} → ${ALICE} "Last active 2023-11-14 22:14 UTC"`,
    `presence unavailable 200001@${GW} → ${PHONE} "Last active 2023-11-14 22:14 UTC"`,
  ]);
});

Deno.test("a probe from an unregistered user gets the gateway as unavailable", async () => {
  const { router, take } = setup(undefined);
  await router.handle(parse(`<presence type="probe" from="${ALICE}" to="${GW}"/>`));
  assert.deepEqual(summary(take()), [`presence unavailable ${GW} → ${ALICE}`]);
});

Deno.test("subscribing to the gateway is approved, and the gateway subscribes back", async () => {
  const { router, take } = setup(fakeSession(CONNECTED));
  await router.handle(parse(`<presence type="subscribe" from="${ALICE}" to="${GW}"/>`));
  assert.deepEqual(summary(take()), [
    `presence subscribed ${GW} → ${ALICE}`,
    `presence available ${GW} → ${ALICE} "Connected as Alice Example"`,
    `presence subscribe ${GW} → ${ALICE}`,
  ]);
});

Deno.test("an unregistered user subscribing to the gateway is told to register", async () => {
  const { router, take } = setup(undefined);
  await router.handle(parse(`<presence type="subscribe" from="${ALICE}" to="${GW}" id="s1"/>`));
  const [reply] = take();
  assert.equal(reply.attrs.type, "error");
  assert.equal(errorCondition(reply), "registration-required");
});

Deno.test("subscribing to a friend is approved with the friend's presence", async () => {
  const session = fakeSession(CONNECTED);
  const { router, take } = setup(session);
  await router.handle(parse(`<presence type="subscribe" from="${ALICE}" to="200001@${GW}"/>`));
  assert.deepEqual(summary(take()), [
    `presence subscribed 200001@${GW} → ${ALICE}`,
    `presence available 200001@${GW} → ${ALICE}`,
  ]);
  assert.deepEqual(session.calls, ["added back 200001"]);
});

Deno.test("removing a contact from the roster is remembered; unsubscribed alone is not", async () => {
  const session = fakeSession(CONNECTED);
  const { router, take } = setup(session);
  // Prosody answers the gateway's probes with unsubscribed: no wish to remove anything.
  await router.handle(parse(`<presence type="unsubscribed" from="${ALICE}" to="200001@${GW}"/>`));
  assert.deepEqual(session.calls, []);
  await router.handle(parse(`<presence type="unsubscribe" from="${ALICE}" to="200001@${GW}"/>`));
  await router.handle(parse(`<presence type="unsubscribe" from="${ALICE}" to="bob@${GW}"/>`));
  assert.deepEqual(session.calls, ["removed 200001"]);
  assert.deepEqual(take(), []);
});

Deno.test("a friend beyond the roster limit is found through Messenger", async () => {
  const session = fakeSession(CONNECTED, {
    others: [{ id: asUserId("200009"), name: "Far Friend", isFriend: true }],
  });
  const { router, take } = setup(session);
  await router.handle(parse(`<presence type="subscribe" from="${ALICE}" to="200009@${GW}"/>`));
  assert.equal(take()[0].attrs.type, "subscribed");
});

Deno.test("subscribing to a non-friend is refused with a chat message saying why", async () => {
  const session = fakeSession(CONNECTED, {
    others: [{ id: asUserId("300001"), name: "Stranger Danger", isFriend: false }],
  });
  const { router, take } = setup(session);
  await router.handle(parse(`<presence type="subscribe" from="${ALICE}" to="300001@${GW}"/>`));
  const [unsubscribed, message] = take();
  assert.equal(unsubscribed.attrs.type, "unsubscribed");
  assert.equal(unsubscribed.attrs.from, `300001@${GW}`);
  assert.equal(message.name, "message");
  assert.equal(message.attrs.from, GW);
  assert.equal(
    message.getChildText("body"),
    `Only your Messenger friends can be added to your roster: Stranger Danger (300001@${GW}) ` +
      "is not one of them",
  );
});

Deno.test("subscribing to an address that is no Messenger id, or while logged out, is explained", async () => {
  const { router, take } = setup(fakeSession(CONNECTED));
  await router.handle(parse(`<presence type="subscribe" from="${ALICE}" to="bob@${GW}"/>`));
  const [refused, message] = take();
  assert.equal(refused.attrs.type, "unsubscribed");
  assert.match(message.getChildText("body")!, /not a Messenger contact address/);

  const offline = setup(fakeSession({ status: "logged_out" }));
  await offline.router.handle(
    parse(`<presence type="subscribe" from="${ALICE}" to="300001@${GW}"/>`),
  );
  const [refusedOffline, messageOffline] = offline.take();
  assert.equal(refusedOffline.attrs.type, "unsubscribed");
  assert.match(messageOffline.getChildText("body")!, /only be checked while you are connected/);
});

Deno.test("unsubscribing from the gateway unregisters once; unsubscribed does not", async () => {
  const { router, unregistered } = setup(fakeSession(CONNECTED));
  await router.handle(parse(`<presence type="unsubscribed" from="${ALICE}" to="${GW}"/>`));
  assert.deepEqual(unregistered, []);
  // Removing the gateway from the roster sends both; handled concurrently, one unregistration.
  await Promise.all([
    router.handle(parse(`<presence type="unsubscribe" from="${ALICE}" to="${GW}"/>`)),
    router.handle(parse(`<presence type="unsubscribe" from="${ALICE}" to="${GW}"/>`)),
  ]);
  assert.deepEqual(unregistered, [ALICE]);
});

Deno.test("with keep_sessions_when_offline false, the last resource leaving suspends the session", async () => {
  const session = fakeSession(CONNECTED);
  const { router, presence } = setup(session, { keepSessionsWhenOffline: false });
  await router.handle(parse(`<presence from="${PHONE}" to="${GW}"/>`));
  await router.handle(parse(`<presence from="${ALICE}/laptop" to="${GW}"/>`));
  await router.handle(parse(`<presence type="unavailable" from="${PHONE}" to="${GW}"/>`));
  await presence.idle();
  assert.deepEqual(session.calls, [], "another resource is still online");
  await router.handle(parse(`<presence type="unavailable" from="${ALICE}/laptop" to="${GW}"/>`));
  await presence.idle();
  assert.deepEqual(session.calls, ["suspend"]);
  await router.handle(parse(`<presence from="${PHONE}" to="${GW}"/>`));
  await presence.idle();
  assert.deepEqual(session.calls, ["suspend", "resume"]);
});

Deno.test("the server's unavailable answer to a probe means the user is offline", async () => {
  const session = fakeSession(CONNECTED);
  const { router, presence } = setup(session, { keepSessionsWhenOffline: false });
  await router.handle(parse(`<presence type="unavailable" from="${ALICE}" to="${GW}"/>`));
  await presence.idle();
  assert.deepEqual(session.calls, ["suspend"]);
});

Deno.test("by default sessions stay connected when the user goes offline", async () => {
  const session = fakeSession(CONNECTED);
  const { router, presence } = setup(session);
  await router.handle(parse(`<presence from="${PHONE}" to="${GW}"/>`));
  await router.handle(parse(`<presence type="unavailable" from="${PHONE}" to="${GW}"/>`));
  await presence.idle();
  assert.deepEqual(session.calls, []);
});
