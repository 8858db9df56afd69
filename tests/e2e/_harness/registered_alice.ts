/**
 * The usual e2e arrangement for what registered users do: a real Prosody, alice@localhost
 * already registered (seeded KV, cookie login), the gateway process on the simulated network
 * with its loopback control API, and Alice's client online and told "Connected as …".
 * Plus a small client of the control API, acting on Alice's Messenger account (100001).
 *
 * @module
 */

import { connectClient, type TestClient, xml, type XmlElement } from "./client.ts";
import { type GatewayProcess, startGateway, type TomlTable } from "./gateway.ts";
import { type ProsodyOptions, type ProsodyServer, startProsody } from "./prosody.ts";
import { ALICE_COOKIES, seededKv } from "./seeded_user.ts";
import { startTcpProxy, type TcpProxy } from "./tcp_proxy.ts";
import { AccountControl } from "../../../dev/simulated_control.ts";

export { AccountControl, type Operation } from "../../../dev/simulated_control.ts";

/** The friends of the e2e tests' accounts: Echo Bot (answers everything) and Bob. */
export const FRIENDS_TOML = `
[[account.friend]]
id = "200001"
name = "Echo Bot"
echo = true

[[account.friend]]
id = "200002"
name = "Bob Builder"
`;

/** Alice's Messenger account (100001) alone: worlds add her friends and groups after it. */
export const ALICE_ACCOUNT_TOML = `[[account]]
email = "alice@example.com"
password = "correct horse"
cookies = "${ALICE_COOKIES}"
user_id = "100001"
name = "Alice Example"
`;

/** Alice's Messenger account with Echo Bot (echoes everything) and Bob; `extra` TOML follows. */
export function aliceWorld(extra = ""): string {
  return `${ALICE_ACCOUNT_TOML}${FRIENDS_TOML}${extra}`;
}

/** What {@link registeredAlice} sets up; dispose it to stop everything. */
export interface RegisteredAlice extends AsyncDisposable {
  server: ProsodyServer;
  gateway: GatewayProcess;
  alice: TestClient;
  /** The gateway's domain. */
  gw: string;
  echo: string;
  bob: string;
  control: AccountControl;
  /** The proxy the component connects through, when asked for (`viaProxy`). */
  proxy?: TcpProxy;
}

/** Starts the arrangement; `config` is merged over the gateway's test config. */
export async function registeredAlice(
  options: {
    world?: string;
    config?: TomlTable;
    prosody?: ProsodyOptions;
    resource?: string;
    /** Connect the component through a {@link TcpProxy} the test can cut. */
    viaProxy?: boolean;
  } = {},
): Promise<RegisteredAlice> {
  const server = await startProsody(options.prosody ?? {});
  await server.register("alice", "alicepw");
  const kv = await seededKv();
  const proxy = options.viaProxy ? startTcpProxy(server.componentPort) : undefined;
  const config = options.config ?? {};
  const gateway = await startGateway(server, {
    world: options.world ?? aliceWorld(),
    config: {
      ...config,
      ...(proxy
        ? { component: { port: proxy.port, ...(config.component as TomlTable | undefined) } }
        : {}),
      gateway: { data: kv.path, ...(config.gateway as TomlTable | undefined) },
      simulated: { control: "127.0.0.1:0" },
    },
  });
  const alice = await connectClient(
    server,
    "alice",
    "alicepw",
    options.resource ? { resource: options.resource } : {},
  );
  const gw = server.componentDomain;
  await connectedPresence(alice, gw, 10_000);
  return {
    server,
    gateway,
    alice,
    gw,
    echo: `200001@${gw}`,
    bob: `200002@${gw}`,
    control: new AccountControl(await gateway.controlUrl()),
    ...(proxy ? { proxy } : {}),
    async [Symbol.asyncDispose]() {
      await alice.close();
      await gateway[Symbol.asyncDispose]();
      await proxy?.[Symbol.asyncDispose]();
      await server[Symbol.asyncDispose]();
      await kv[Symbol.asyncDispose]();
    },
  };
}

/** Waits for the gateway `gw` to tell `client` it is connected to Messenger ("Connected as …"). */
export function connectedPresence(
  client: TestClient,
  gw: string,
  timeoutMs = 20_000,
): Promise<XmlElement> {
  return client.waitFor(
    (s) =>
      s.is("presence") && s.attrs.from === gw &&
      /Connected as/.test(s.getChildText("status") ?? ""),
    timeoutMs,
    "the gateway's Connected presence",
  );
}

/** A chat message with a body (and any extra children). */
export function chat(to: string, id: string, body: string, ...extra: XmlElement[]): XmlElement {
  return xml("message", { type: "chat", to, id }, xml("body", {}, body), ...extra);
}

/** Matches messages from a contact's JID (any resource) that also satisfy `predicate`. */
export function fromContact(jid: string, predicate: (s: XmlElement) => boolean) {
  return (s: XmlElement) => s.is("message") && s.attrs.from?.split("/")[0] === jid && predicate(s);
}

/** Waits for a message with exactly this body from a contact. */
export async function bodyFrom(client: TestClient, jid: string, body: string): Promise<XmlElement> {
  return await client.waitFor(
    fromContact(jid, (s) => s.getChildText("body") === body),
    10_000,
    `"${body}" from ${jid}`,
  );
}
