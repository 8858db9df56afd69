/**
 * The rule that the simulated network's HTTP servers listen on loopback only: the control API has
 * no authentication (anyone reaching it can read what users sent and act as their friends).
 *
 * @module
 */

/** True for `localhost`, `127.0.0.0/8` and `::1`. */
export function isLoopbackHostname(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (host === "localhost" || host === "::1" || host === "0:0:0:0:0:0:0:1") return true;
  const parts = host.split(".");
  return parts.length === 4 && parts[0] === "127" &&
    parts.every((part) => /^[0-9]{1,3}$/.test(part) && Number(part) <= 255);
}

/** Throws a clear error unless `hostname` is a loopback address. */
export function assertLoopbackHostname(hostname: string, what: string): void {
  if (!isLoopbackHostname(hostname)) {
    throw new Error(
      `${what} must listen on a loopback address (127.0.0.1, ::1 or localhost), not "${hostname}": it has no authentication`,
    );
  }
}
