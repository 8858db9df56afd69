/**
 * Wires the rooms together for one running gateway: store, component connection, router and the
 * XMPP features. `main.ts` only parses flags and turns failures into exit codes; this is what a
 * test or a benchmark starts in-process.
 *
 * @module
 */

import type { Config } from "./config/config.ts";
import { mainLog } from "./log.ts";
import { openKv } from "./store/open_store.ts";
import { getUser, listUsers } from "./store/user_records.ts";
import { PROGRAM_NAME, VERSION } from "./version.ts";
import { ComponentConnection, type FatalConnectionError } from "./xmpp/component_connection.ts";
import { registerPing } from "./xmpp/ping.ts";
import { Router } from "./xmpp/router.ts";
import { registerServiceDiscovery } from "./xmpp/service_discovery.ts";
import { registerSoftwareVersion } from "./xmpp/software_version.ts";
import { xml } from "./xmpp/xml.ts";

/** A running gateway. */
export interface App {
  /** Resolves if the XMPP server refused the component for good. */
  readonly failed: Promise<FatalConnectionError>;
  /** Tells users the gateway goes away, disconnects and closes the store. Never throws. */
  stop(): Promise<void>;
}

/** Opens the store, connects to the XMPP server and starts serving. */
export async function startApp(config: Config): Promise<App> {
  const kv = await openKv(config.gateway.data);
  const connection = new ComponentConnection({
    domain: config.component.jid,
    secret: config.component.secret,
    server: config.component.server,
    port: config.component.port,
  });
  const router = new Router({
    domain: config.component.jid,
    send: (stanza) => connection.send(stanza),
    isRegistered: async (bareJid) => (await getUser(kv, bareJid)) !== null,
  });
  registerServiceDiscovery(router, { name: config.gateway.name });
  registerPing(router);
  registerSoftwareVersion(router, { name: PROGRAM_NAME, version: VERSION });

  connection.onStanza((stanza) => void router.handle(stanza));
  connection.start();

  let stopped = false;
  return {
    failed: connection.failed,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        if (connection.online) {
          for (const user of await listUsers(kv)) {
            await connection.send(
              xml("presence", { type: "unavailable", from: config.component.jid, to: user.jid }),
            );
          }
        }
      } catch (error) {
        mainLog.warn("Could not tell users the gateway stops: {error}", { error });
      }
      router.close();
      await connection.stop();
      kv.close();
      mainLog.info("Stopped");
    },
  };
}
