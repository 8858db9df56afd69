/**
 * Several registered users at once, for what one user must not do to the others (floods, a
 * Messenger session that fails, many users chatting): a real Prosody, users `u1@localhost` …
 * `uN@localhost` already registered (seeded KV, cookie logins), each with their own simulated
 * Messenger account and the same two friends (Echo Bot answers everything, Bob writes when the
 * test makes him), the gateway process with its control API, and every user's client online and
 * told "Connected as …".
 *
 * @module
 */

import { connectClient, type TestClient } from "./client.ts";
import { type GatewayProcess, startGateway, type TomlTable } from "./gateway.ts";
import { type ProsodyOptions, type ProsodyServer, startProsody } from "./prosody.ts";
import { seededUsersKv } from "./seeded_user.ts";
import { parseCookies } from "../../../src/messenger/credentials.ts";
import { AccountControl } from "../../../dev/simulated_control.ts";
import { FRIENDS_TOML } from "./registered_alice.ts";

/** One registered user of {@link registeredUsers}. */
export interface TestUser {
  /** 1-based. */
  index: number;
  /** Bare JID, `u<index>@localhost`. */
  jid: string;
  /** Their XMPP password. */
  password: string;
  client: TestClient;
  /** Their Messenger account's id. */
  account: string;
  /** Their Messenger account, played through the control API. */
  control: AccountControl;
}

/** What {@link registeredUsers} sets up; dispose it to stop everything. */
export interface RegisteredUsers extends AsyncDisposable {
  server: ProsodyServer;
  gateway: GatewayProcess;
  users: TestUser[];
  /** The gateway's domain. */
  gw: string;
  /** Echo Bot's contact JID (the same for every user). */
  echo: string;
  /** Bob's contact JID (the same for every user). */
  bob: string;
  /** The world file the simulated network was started with. */
  world: string;
}

/** Messenger account id of user `index` (1-based). */
export function accountOf(index: number): string {
  return String(110_000 + index);
}

/** The world of {@link registeredUsers}: one account per user, each with Echo Bot and Bob. */
export function usersWorld(count: number, extra: (index: number) => string = () => ""): string {
  return Array.from({ length: count }, (_, i) => {
    const index = i + 1;
    return `[[account]]
email = "u${index}@example.com"
password = "u${index} password ${SECRET_TAG}"
cookies = "${cookiesOf(index)}"
user_id = "${accountOf(index)}"
name = "User ${index}"
${FRIENDS_TOML}${extra(index)}`;
  }).join("\n");
}

/** Makes the seeded secrets distinctive, so a search of the logs for them cannot miss or misfire. */
const SECRET_TAG = "Zq7Wm3";

function cookiesOf(index: number): string {
  return `c_user=${accountOf(index)}; xs=xs-u${index}-${SECRET_TAG}`;
}

/** Starts the arrangement for `count` users; `config` is merged over the gateway's test config. */
export async function registeredUsers(
  count: number,
  options: {
    config?: TomlTable;
    prosody?: ProsodyOptions;
    /** Extra world TOML after each user's account (e.g. groups). */
    world?: (index: number) => string;
  } = {},
): Promise<RegisteredUsers> {
  const server = await startProsody(options.prosody ?? {});
  const indexes = Array.from({ length: count }, (_, i) => i + 1);
  try {
    // prosodyctl is slow to start: a few at a time.
    for (let i = 0; i < indexes.length; i += 4) {
      await Promise.all(
        indexes.slice(i, i + 4).map((index) => server.register(`u${index}`, `u${index}-xmpp`)),
      );
    }
  } catch (error) {
    await server[Symbol.asyncDispose]();
    throw error;
  }
  const kv = await seededUsersKv(
    indexes.map((index) => ({
      jid: `u${index}@localhost`,
      cookies: parseCookies(cookiesOf(index)),
    })),
  );
  const world = usersWorld(count, options.world);
  const config = options.config ?? {};
  let gateway: GatewayProcess | undefined;
  const clients: TestClient[] = [];
  try {
    gateway = await startGateway(server, {
      world,
      config: {
        ...config,
        gateway: {
          data: kv.path,
          login_stagger_ms: 0,
          ...(config.gateway as TomlTable | undefined),
        },
        simulated: { control: "127.0.0.1:0" },
      },
    });
    const gw = server.componentDomain;
    for (const index of indexes) {
      clients.push(await connectClient(server, `u${index}`, `u${index}-xmpp`));
    }
    await Promise.all(clients.map((client) =>
      client.waitFor(
        (s) =>
          s.is("presence") && s.attrs.from === gw &&
          /Connected as/.test(s.getChildText("status") ?? ""),
        20_000,
        `the gateway's Connected presence for ${client.bareJid}`,
      )
    ));
    const url = await gateway.controlUrl();
    const started = gateway;
    return {
      server,
      gateway: started,
      gw,
      echo: `200001@${gw}`,
      bob: `200002@${gw}`,
      world,
      users: indexes.map((index) => ({
        index,
        jid: `u${index}@localhost`,
        password: `u${index}-xmpp`,
        client: clients[index - 1],
        account: accountOf(index),
        control: new AccountControl(url, accountOf(index)),
      })),
      async [Symbol.asyncDispose]() {
        await Promise.all(clients.map((client) => client.close()));
        await started[Symbol.asyncDispose]();
        await server[Symbol.asyncDispose]();
        await kv[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await Promise.all(clients.map((client) => client.close()));
    await gateway?.[Symbol.asyncDispose]();
    await server[Symbol.asyncDispose]();
    await kv[Symbol.asyncDispose]();
    throw error;
  }
}
