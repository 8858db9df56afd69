/**
 * The world the simulated-network tests run in, and small helpers to log in to it.
 *
 * @module
 */

import { Secret } from "../../../src/secret.ts";
import assert from "node:assert/strict";
import { asThreadId, asUserId } from "../../../src/messenger/ids.ts";
import {
  parseWorld,
  SimulatedNetwork,
  type SimulatedNetworkOptions,
  type SimulatedSession,
} from "../../../src/messenger/simulated/mod.ts";

/** Alice (2FA-free) and Carol are accounts and friends; Bob is a plain friend; Echo echoes. */
export const TEST_WORLD = `
[[account]]
email = "alice@example.com"
password = "correct horse"
user_id = "100001"
name = "Alice Example"
  [[account.friend]]
  id = "200001"
  name = "Echo Bot"
  echo = true
  [[account.friend]]
  id = "200002"
  name = "Bob Builder"
  [[account.friend]]
  id = "100002"
  name = "Carol Second"
  [[account.group]]
  id = "900001"
  name = "Hiking club"
  members = ["200002", "100002"]
  [[account.group]]
  id = "900002"
  name = "Echo chamber"
  members = ["200001", "200002"]

[[account]]
email = "carol@example.com"
password = "battery staple"
two_factor_code = "654321"
cookies = "c_user=100002; xs=carols-xs"
user_id = "100002"
name = "Carol Second"

[[account]]
email = "dave@example.com"
password = "hunter22"
user_id = "100003"
name = "Dave Locked"
checkpoint = true

[[user]]
id = "300001"
name = "Stranger Danger"
`;

/** Ids of the test world. */
export const ALICE = asUserId("100001");
export const CAROL = asUserId("100002");
export const ECHO = asUserId("200001");
export const BOB = asUserId("200002");
export const STRANGER = asUserId("300001");
export const HIKING = asThreadId("900001");
export const ECHO_CHAMBER = asThreadId("900002");
export const BOB_THREAD = asThreadId("200002");
export const ECHO_THREAD = asThreadId("200001");

/** A fresh network on the test world. */
export function testNetwork(options: SimulatedNetworkOptions = {}): SimulatedNetwork {
  return new SimulatedNetwork(parseWorld(TEST_WORLD, "test-world.toml"), options);
}

/** Logs Alice in (no two-factor), optionally listening. */
export async function loginAlice(
  network: SimulatedNetwork,
  options: { listen?: boolean; selfListen?: boolean } = {},
): Promise<SimulatedSession> {
  const result = await network.login(
    { kind: "password", email: "alice@example.com", password: new Secret("correct horse") },
    { selfListen: options.selfListen ?? true },
  );
  assert.equal(result.kind, "logged_in");
  if (result.kind !== "logged_in") throw new Error("unreachable");
  if (options.listen !== false) await result.session.listen();
  return result.session as SimulatedSession;
}

/** Logs Carol in with her configured cookies (skipping two-factor), listening. */
export async function loginCarol(network: SimulatedNetwork): Promise<SimulatedSession> {
  const result = await network.login(
    {
      kind: "cookies",
      cookies: [
        { key: "c_user", value: "100002", domain: "facebook.com" },
        { key: "xs", value: "carols-xs", domain: "facebook.com" },
      ],
    },
    { selfListen: true },
  );
  if (result.kind !== "logged_in") throw new Error("Carol's cookies did not log in");
  await result.session.listen();
  return result.session as SimulatedSession;
}
