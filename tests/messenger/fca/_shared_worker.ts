/**
 * Shared setup of the tests of several accounts in one fca Worker (shared_worker_test.ts, and
 * the crash case in _worker_crash_cases.ts, which runs in a child `deno test`).
 */

import assert from "node:assert/strict";
import type { ConnectionState } from "../../../src/messenger/connection_state.ts";
import type { MessageEvent } from "../../../src/messenger/events.ts";
import type { FakeFacebook } from "./_fake_edge/fake_facebook.ts";
import {
  ALICE,
  type FcaTestBed,
  type RecordedSession,
  RECOVERY_MS,
  SELF,
  waitFor,
} from "./_harness.ts";

/** The second account of the shared Worker. */
export const OTHER = "100009";
/** The account on a Worker of its own. */
export const THIRD = "100010";

/** The messages a session emitted. */
export function messages(recorded: RecordedSession): MessageEvent[] {
  return recorded.remote().filter((event): event is MessageEvent => event.type === "message");
}

let nextMessage = 1;

/**
 * Delivers a message from Alice to `user` and waits until `recorded` has it; returns its id.
 * Published again every second until it arrives (after a restart, to the new connection); the
 * session drops the copies by id.
 */
export async function delivered(
  fake: FakeFacebook,
  user: string,
  recorded: RecordedSession,
  text: string,
): Promise<string> {
  const id = `mid.$shared${nextMessage++}`;
  let lastSent = 0;
  await waitFor(`"${text}" for ${user}`, () => {
    if (messages(recorded).some((message) => message.id === id)) return true;
    if (Date.now() - lastSent >= 1_000) {
      fake.deliverMessage(user, { thread: ALICE, isGroup: false, sender: ALICE, text, id });
      lastSent = Date.now();
    }
    return false;
  }, RECOVERY_MS);
  return id;
}

function cookieUser(cookieHeader: string | undefined): string | undefined {
  return /(?:^|;\s*)c_user=([^;]+)/.exec(cookieHeader ?? "")?.[1];
}

/**
 * Everything the fake received was sent by the account it authenticated: its cookies, its own
 * `__user`, `fb_dtsg` and (2026 page) LSD token; every MQTT connection's user is its cookie's.
 */
export function assertNothingCrossed(fake: FakeFacebook): void {
  for (const request of fake.requests) {
    if (request.user === undefined) continue;
    const where = `${request.method} ${request.path} of ${request.user}`;
    if (request.form.__user !== undefined) assert.equal(request.form.__user, request.user, where);
    if (request.method === "POST") {
      assert.equal(cookieUser(request.headers.cookie), request.user, where);
    }
  }
  for (const connection of fake.connections) {
    if (connection.user === "") continue;
    assert.equal(cookieUser(connection.headers.cookie), connection.user, "an MQTT connection");
  }
}

/** The states that tell the user something went wrong (`connecting` only follows them). */
export function troubles(recorded: RecordedSession): ConnectionState[] {
  return recorded.states.filter((state) =>
    state.status !== "connected" && state.status !== "connecting"
  );
}

/** Two accounts on the first Worker, a third on a second Worker. */
export async function threeAccountsOnTwoWorkers(bed: FcaTestBed) {
  const first = await bed.connect({ id: SELF });
  const second = await bed.connect({ id: OTHER });
  const third = await bed.connect({ id: THIRD });
  assert.equal(bed.network.workers, 2);
  return { first, second, third };
}

/**
 * After a failure of the first Worker: its two accounts were each told once and came back, and
 * the third, on the other Worker, kept working all along without a single state change.
 */
export async function onlyTheFailedWorkersAccountsRestarted(
  bed: FcaTestBed,
  accounts: Awaited<ReturnType<typeof threeAccountsOnTwoWorkers>>,
  reason: string,
) {
  const { fake } = bed;
  const { first, second, third } = accounts;
  await delivered(fake, THIRD, third, "The third during the failure");
  for (const account of [first, second]) {
    await waitFor(
      "told and connected again",
      () => troubles(account).length > 0 && account.session.state.status === "connected",
      RECOVERY_MS,
    );
  }
  await delivered(fake, SELF, first, "The first after the failure");
  await delivered(fake, OTHER, second, "The second after the failure");
  for (const account of [first, second]) {
    const told = troubles(account);
    assert.equal(told.length, 1, `told exactly once: ${JSON.stringify(told)}`);
    assert.equal(told[0].status, "transient_disconnect");
    assert.match("message" in told[0] ? told[0].message : "", new RegExp(reason));
  }
  assert.deepEqual(troubles(third), [], "the third, on another Worker, never noticed");
  assert.equal(fake.homePageLogins.get(THIRD), 1, "and was not logged in again");
  assert.equal(fake.homePageLogins.get(SELF), 2, "one re-login each");
  assert.equal(fake.homePageLogins.get(OTHER), 2);
  assertNothingCrossed(fake);
}
