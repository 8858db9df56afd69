import assert from "node:assert/strict";
import { ContactPresences } from "../../src/gateway/contact_presence.ts";
import type { PresenceState } from "../../src/gateway/xmpp_port.ts";
import { asUserId } from "../../src/messenger/ids.ts";
import { ALICE, type Fixture, gatewayFixture, waitUntil } from "./commands/_fixture.ts";

const BOB = asUserId("200002");
const ECHO = asUserId("200001");

Deno.test("connected mode: contacts follow the Messenger connection, nothing else", () => {
  const presences = new ContactPresences();
  assert.equal(presences.mode, "connected");
  assert.deepEqual(presences.of(BOB, true), { available: true });
  assert.deepEqual(presences.of(BOB, false), { available: false });
  assert.equal(presences.record({ type: "presence", actor: BOB, online: false }), false);
  assert.deepEqual(presences.of(BOB, true), { available: true }, "Messenger presence ignored");
});

Deno.test("messenger mode: contacts show Messenger's online status while connected", () => {
  const presences = new ContactPresences("messenger");
  assert.deepEqual(presences.of(BOB, true), { available: false }, "unknown means offline");
  assert.equal(presences.record({ type: "presence", actor: BOB, online: true }), true);
  assert.deepEqual(presences.of(BOB, true), { available: true });
  assert.deepEqual(presences.of(BOB, false), { available: false }, "not while disconnected");
  assert.equal(
    presences.record({ type: "presence", actor: BOB, online: true }),
    false,
    "no change",
  );
  assert.equal(
    presences.record({ type: "presence", actor: BOB, online: false, lastActive: 1700000040000 }),
    true,
  );
  assert.deepEqual(presences.of(BOB, true), {
    available: false,
    status: "Last active 2023-11-14 22:14 UTC",
  });
  presences.reset();
  assert.deepEqual(presences.of(BOB, true), { available: false });
});

Deno.test("none mode: contacts are never available", () => {
  const presences = new ContactPresences("none");
  assert.equal(presences.record({ type: "presence", actor: BOB, online: true }), false);
  assert.deepEqual(presences.of(BOB, true), { available: false });
  assert.equal(presences.showsAvailability, false);
});

function presencesOf(f: Fixture, contact: string): PresenceState[] {
  return f.port.calls.flatMap((call) =>
    call.kind === "contactPresence" && call.user === ALICE && call.contact === contact
      ? [call.presence]
      : []
  );
}

Deno.test("by default contacts are available while connected, and again after a reconnection", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  await waitUntil(() => presencesOf(f, BOB).length > 0, "Bob's presence");
  assert.deepEqual(presencesOf(f, BOB), [{ available: true }]);
  const session = f.gateway.session(ALICE)!;
  assert.deepEqual(session.contactPresence(BOB), { available: true });

  f.network.control.addFaults("100001", { kind: "drop_connection", downMs: 50 });
  await waitUntil(() => presencesOf(f, BOB).length >= 3, "Bob unavailable, then available");
  assert.deepEqual(presencesOf(f, BOB), [
    { available: true },
    { available: false },
    { available: true },
  ]);
  // Messenger presence updates are not shown in this mode.
  await f.network.control.inject("100001", { type: "presence", user: BOB, online: false });
  assert.equal(presencesOf(f, BOB).length, 3);
});

Deno.test("messenger mode: Messenger's presence updates become contact presences", async () => {
  await using f = await gatewayFixture({ contactPresence: "messenger" });
  await f.registerUser(ALICE, "alice");
  const session = f.gateway.session(ALICE)!;
  await waitUntil(() => session.contacts.length === 2, "the contacts' synchronisation");
  assert.deepEqual(presencesOf(f, BOB), [], "nobody is shown online before Messenger says so");

  await f.network.control.inject("100001", { type: "presence", user: BOB, online: true });
  await waitUntil(() => presencesOf(f, BOB).length === 1, "Bob online");
  assert.deepEqual(presencesOf(f, BOB), [{ available: true }]);
  assert.deepEqual(session.contactPresence(BOB), { available: true });
  assert.deepEqual(session.contactPresence(ECHO), { available: false });

  await f.network.control.inject("100001", {
    type: "presence",
    user: BOB,
    online: false,
    lastActive: 1700000040000,
  });
  await waitUntil(() => presencesOf(f, BOB).length === 2, "Bob offline");
  assert.deepEqual(presencesOf(f, BOB)[1], {
    available: false,
    status: "Last active 2023-11-14 22:14 UTC",
  });
});

Deno.test("none mode: contacts never show available, whatever Messenger says", async () => {
  await using f = await gatewayFixture({ contactPresence: "none" });
  await f.registerUser(ALICE, "alice");
  await f.network.control.inject("100001", { type: "presence", user: BOB, online: true });
  f.network.control.addFaults("100001", { kind: "drop_connection", downMs: 300 });
  await waitUntil(() => f.gateway.session(ALICE)?.state.status === "reconnecting");
  await waitUntil(() => f.gateway.session(ALICE)?.state.status === "connected");
  assert.deepEqual(
    f.port.calls.filter((call) => call.kind === "contactPresence"),
    [],
    "no contact presence was sent",
  );
  assert.deepEqual(f.gateway.session(ALICE)!.contactPresence(BOB), { available: false });
});
