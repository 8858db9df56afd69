/**
 * Which private addresses the gateway may download from, by where a URL came from.
 *
 * Links users send (their XEP-0066 files) are fetched from public addresses only, whatever the
 * backend: a user must not make the gateway reach what only its host can — the simulated
 * network's control API, a cloud metadata service, an admin panel on the LAN. URLs from Messenger
 * events (avatars, attachments to re-upload) may also come from the network's own file server
 * when that runs on a private address (the simulated network's, on loopback), compared by exact
 * origin. Both may come from the private origins the admin listed (`messages.private_file_origins`,
 * e.g. their own upload service on the LAN). Nothing else private is ever fetched.
 *
 * @module
 */

/** Tells whether a private origin (`http://host:port`) may be fetched. */
export type PrivateOriginCheck = (origin: string) => boolean;

/** The two policies: for URLs from Messenger events, and for links users send. */
export interface PrivateOrigins {
  /** Avatars and attachments from Messenger events. */
  fromMessenger: PrivateOriginCheck;
  /** Files users send. */
  fromUsers: PrivateOriginCheck;
}

/** Builds the policies. */
export function privateOrigins(options: {
  /** The Messenger network's own file server origin, when it has one on a private address. */
  networkMedia: () => string | undefined;
  /** Origins the admin allows for every download. */
  admin: readonly string[];
}): PrivateOrigins {
  const admin = new Set(options.admin);
  return {
    fromMessenger: (origin) => admin.has(origin) || origin === options.networkMedia(),
    fromUsers: (origin) => admin.has(origin),
  };
}
