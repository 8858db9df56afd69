/**
 * Chooses the Messenger implementation from the configuration: the real network over
 * fca-unofficial, or the simulated one. The only place that knows both exist.
 *
 * @module
 */

import type { Config } from "../config/config.ts";
import { FcaNetwork } from "./fca/fca_network.ts";
import type { MessengerNetwork } from "./session.ts";
import { loadWorld } from "./simulated/parse_world.ts";
import { createSimulatedNetwork } from "./simulated/simulated_network.ts";

/** Builds the network `config.messenger.backend` names. */
export async function createNetwork(config: Config): Promise<MessengerNetwork> {
  if (config.messenger.backend === "simulated") {
    if (!config.simulated) {
      throw new Error("messenger.backend is simulated but [simulated] is missing");
    }
    return await createSimulatedNetwork(config.simulated);
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
