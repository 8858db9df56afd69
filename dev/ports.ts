/**
 * Free loopback ports: any (tests, where a fixed port would collide with a parallel test) or near a
 * preferred one (the demo, where the standard ports spare the user a port setting).
 *
 * @module
 */

/**
 * Ask the OS for `count` distinct free loopback ports (listen on port 0, read it, close).
 *
 * Exported because the gateway tests may need a free port for the simulated network's control API.
 */
export function freePorts(count: number): number[] {
  return portsNear(new Array(count).fill(0));
}

/** How many ports above a taken preferred one are tried before any free port is taken. */
const NEARBY = 20;

/**
 * One free loopback port per entry of `preferred`, all distinct: the preferred port when it is
 * free, else the first free one of the {@link NEARBY} ports above it, else any free port; 0 means
 * any. The ports are free when this returns; someone may still take one before the caller binds
 * it, so callers retry on a failed bind.
 */
export function portsNear(preferred: number[]): number[] {
  const listeners: Deno.Listener[] = [];
  const listen = (port: number): Deno.Listener | undefined => {
    try {
      return Deno.listen({ hostname: "127.0.0.1", port });
    } catch (error) {
      if (error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.PermissionDenied) {
        return undefined;
      }
      throw error;
    }
  };
  try {
    for (const wanted of preferred) {
      let listener: Deno.Listener | undefined;
      if (wanted > 0) {
        for (let port = wanted; port <= Math.min(wanted + NEARBY, 65535) && !listener; port++) {
          listener = listen(port);
        }
      }
      listener ??= Deno.listen({ hostname: "127.0.0.1", port: 0 });
      listeners.push(listener);
    }
    return listeners.map((l) => (l.addr as Deno.NetAddr).port);
  } finally {
    for (const l of listeners) l.close();
  }
}
