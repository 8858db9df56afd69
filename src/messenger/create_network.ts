/**
 * Chooses the Messenger implementation from the configuration: the real network over
 * fca-unofficial, or the simulated one. The only place that knows both exist.
 *
 * @module
 */

import type { Config } from "../config/config.ts";
import { ConfigError } from "../config/config_error.ts";
import { FcaNetwork } from "./fca/fca_network.ts";
import type { MessengerNetwork } from "./session.ts";
import { loadWorld } from "./simulated/parse_world.ts";
import { createSimulatedNetwork } from "./simulated/simulated_network.ts";

/**
 * Builds the network `config.messenger.backend` names. A control API address that cannot be
 * bound (taken, or not ours to use) is a {@link ConfigError} naming `simulated.control`.
 */
export async function createNetwork(config: Config): Promise<MessengerNetwork> {
  if (config.messenger.backend === "simulated") {
    const simulated = config.simulated;
    if (!simulated) {
      throw new Error("messenger.backend is simulated but [simulated] is missing");
    }
    try {
      return await createSimulatedNetwork(simulated);
    } catch (error) {
      const why = error instanceof Deno.errors.AddrInUse
        ? "is already in use (is another gateway or demo running?)"
        : error instanceof Deno.errors.AddrNotAvailable
        ? "is not an address of this machine"
        : error instanceof Deno.errors.PermissionDenied
        ? "may not be used by this user (ports below 1024 need privileges)"
        : undefined;
      if (why === undefined || simulated.control === undefined) throw error;
      const { hostname, port } = simulated.control;
      throw new ConfigError(config.file, [{
        key: "simulated.control",
        message: `simulated.control in ${config.file}: ${hostname}:${port} ${why}: choose ` +
          "another port, or 0 to let the system pick a free one",
      }]);
    }
  }
  return new FcaNetwork({
    accountsPerWorker: config.messenger.accountsPerWorker,
    ...(config.messenger.userAgent === undefined ? {} : { userAgent: config.messenger.userAgent }),
  });
}

/**
 * Checks what starting the configured network would read, without starting it (for
 * `--check-config`): the simulated world file. Throws a WorldError naming every problem.
 */
export async function checkNetworkConfig(config: Config): Promise<void> {
  if (config.messenger.backend === "simulated" && config.simulated) {
    await loadWorld(config.simulated.world);
  }
}
