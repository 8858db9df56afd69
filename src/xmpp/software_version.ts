/**
 * XEP-0092 software version: admins and users check which gateway release they talk to.
 * The operating system is deliberately not disclosed.
 *
 * @module
 */

import { NS_VERSION } from "./namespaces.ts";
import type { Router } from "./router.ts";
import { xml } from "./xml.ts";

/** Answers version queries on the gateway's JID. */
export function registerSoftwareVersion(
  router: Router,
  software: { name: string; version: string },
): void {
  router.iq("gateway", "get", NS_VERSION, "query", () =>
    xml(
      "query",
      { xmlns: NS_VERSION },
      xml("name", {}, software.name),
      xml("version", {}, software.version),
    ));
}
