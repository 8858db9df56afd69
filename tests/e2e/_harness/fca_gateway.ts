/**
 * The gateway process on the real Messenger adapter against the fake Facebook of
 * tests/messenger/fca/_fake_edge (see fca_gateway_main.ts): for tests that kill the gateway and
 * start it again while Facebook, and what was said there meanwhile, lives on.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { FakeFacebook } from "../../messenger/fca/_fake_edge/fake_facebook.ts";
import { cookieSecrets, type GatewayProcess, startGateway, type TomlTable } from "./gateway.ts";
import type { ProsodyServer } from "./prosody.ts";

const ENTRY = fileURLToPath(new URL("./fca_gateway_main.ts", import.meta.url));

/** Starts the gateway on fca pointed at `fake`; `config` is merged over the test config. */
export async function startFcaGateway(
  server: ProsodyServer,
  fake: FakeFacebook,
  options: { config?: TomlTable; onlineTimeoutMs?: number } = {},
): Promise<GatewayProcess> {
  const cookies = [...fake.accounts.values()].flatMap((account) =>
    cookieSecrets(`xs=${account.xs}`, `fake account ${account.id}`)
  );
  return await startGateway(server, {
    entry: ENTRY,
    args: ["--fake-origin", fake.origin],
    config: {
      ...options.config,
      messenger: { backend: "facebook", ...(options.config?.messenger as TomlTable | undefined) },
      simulated: undefined,
    },
    secrets: cookies,
    onlineTimeoutMs: options.onlineTimeoutMs ?? 40_000,
  });
}
