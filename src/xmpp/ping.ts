/**
 * XEP-0199 ping on the gateway's JID: servers and clients use it to check the gateway is alive.
 *
 * @module
 */

import { NS_PING } from "./namespaces.ts";
import type { Router } from "./router.ts";

/** Answers pings to the gateway with an empty result. */
export function registerPing(router: Router): void {
  router.iq("gateway", "get", NS_PING, "ping", () => {});
}
