/**
 * Helpers of the resilience and account-state tests (and of the Worker crash cases run by
 * worker_crash_test.ts): a second account, state checks, and delivery checks that re-send until a
 * live connection takes the message.
 *
 * @module
 */

import type { ConnectionState } from "../../../src/messenger/connection_state.ts";
import { CHECKPOINT_PATH } from "./_fake_edge/fake_facebook.ts";
import { type FcaTestBed, type RecordedSession, RECOVERY_MS, waitFor } from "./_harness.ts";
import { wire } from "./recorded/deltas.ts";

/** A second account, to show one account's trouble leaves the others alone. */
export const OTHER = "100009";

/** True when the session went through a state with these fields. */
export function hasState(recorded: RecordedSession, match: Partial<ConnectionState>): boolean {
  return recorded.states.some((state) =>
    Object.entries(match).every(([key, value]) => (state as Record<string, unknown>)[key] === value)
  );
}

function textDelta(id: string): Record<string, unknown> {
  const delta = wire("text_message");
  (delta.messageMetadata as Record<string, unknown>).messageId = id;
  return delta;
}

/** Waits until `user`'s session received message `id`, publishing it until one does. */
export async function receives(
  bed: FcaTestBed,
  user: string,
  recorded: RecordedSession,
  id: string,
): Promise<void> {
  await waitFor(`message ${id} for ${user}`, () => {
    if (!recorded.remote().some((event) => event.type === "message" && event.id === id)) {
      bed.fake.publishDeltas(user, [textDelta(id)]); // Re-sent until a live connection takes it.
      return false;
    }
    return true;
  });
}

/** How often Facebook's home page was loaded: once per login (re-logins included). */
export function homeLoads(bed: FcaTestBed): number {
  return bed.fake.requests.filter((request) => request.method === "GET" && request.path === "/")
    .length;
}

/** The checkpoint page the fake Facebook sends users to, as the session reports it. */
export const CHECKPOINT_URL =
  `https://www.facebook.com${CHECKPOINT_PATH}?next=https%3A%2F%2Fwww.facebook.com%2F`;

/** Waits until the session needs the user (re-authentication, a checkpoint); returns the state. */
export async function needsUser(account: RecordedSession): Promise<ConnectionState> {
  const session = account.session;
  await waitFor("bad_credentials", () => session.state.status === "bad_credentials", RECOVERY_MS);
  return session.state;
}
