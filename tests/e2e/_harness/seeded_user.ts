/**
 * A gateway KV file in which a user is already registered with Messenger cookies, so tests of
 * what registered users do need not go through the registration flow (which has its own tests).
 *
 * @module
 */

import { Secret } from "../../../src/secret.ts";
import { join } from "node:path";
import { type Cookie, parseCookies } from "../../../src/messenger/credentials.ts";
import { putUser } from "../../../src/store/user_records.ts";

/**
 * Alice's cookies in the e2e worlds and the seeded store (distinctive, so that the search of the
 * logs for secrets after a run can look for them).
 */
export const ALICE_COOKIES = "c_user=100001; xs=xs-alice-e2e-Wq5Tz8";

/** The KV file's path and temp dir; dispose to remove them. */
export interface SeededKv extends AsyncDisposable {
  path: string;
  dir: string;
}

/** Creates a KV file where `jid` is registered with `cookies` (a `c_user=…; xs=…` string). */
export function seededKv(
  jid = "alice@localhost",
  cookies = ALICE_COOKIES,
): Promise<SeededKv> {
  return seededUsersKv([{ jid, cookies: parseCookies(cookies) }]);
}

/** Creates a KV file where each of `users` is registered with its Messenger cookies. */
export async function seededUsersKv(
  users: readonly { jid: string; cookies: readonly Cookie[] }[],
): Promise<SeededKv> {
  const dir = await Deno.makeTempDir({ prefix: "e2e-seeded-kv-" });
  const path = join(dir, "gateway.kv");
  const kv = await Deno.openKv(path);
  try {
    for (const { jid, cookies } of users) {
      await putUser(kv, {
        jid,
        registeredAt: Date.now(),
        preferences: {},
        messengerSession: new Secret(JSON.stringify(cookies)),
      });
    }
  } finally {
    kv.close();
  }
  return {
    path,
    dir,
    [Symbol.asyncDispose]: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
  };
}
