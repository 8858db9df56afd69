/**
 * A TCP proxy on loopback between the gateway and Prosody's component port, so a test can cut
 * the component's connection the way a network does — not the clean close of a server restart.
 *
 * `cut()` first turns the path into a black hole (what either side writes is read and thrown
 * away, as by a dying route), then closes both sockets: stanzas the gateway wrote just before
 * the drop never reach Prosody, and nothing tells the gateway which ones. New connections are
 * forwarded normally, so the gateway reconnects through the proxy.
 *
 * @module
 */

/** A running proxy; `await using` it. */
export interface TcpProxy extends AsyncDisposable {
  /** The loopback port to connect to instead of the target's. */
  readonly port: number;
  /** Connections accepted so far. */
  connections(): number;
  /**
   * Cuts every open connection: black hole for `blackHoleMs` (default 300), then both sockets
   * close. Resolves once they are closed.
   */
  cut(blackHoleMs?: number): Promise<void>;
  /**
   * Cuts the connections as soon as `text` has gone through towards the target (the chunk
   * holding it is delivered, nothing after it), and closes them once the black hole swallowed
   * `swallow.count` matches of `swallow.pattern` (or after 10 s): a cut that surely loses
   * what was written in the meantime. Resolves once the sockets are closed.
   */
  cutAfter(text: string, swallow: { pattern: RegExp; count: number }): Promise<void>;
}

interface Link {
  dead: boolean;
  close(): void;
}

interface Trigger {
  text: string;
  fire(): void;
}

interface Swallow {
  pattern: RegExp;
  left: number;
  done(): void;
}

/** Forwards 127.0.0.1:<free port> to 127.0.0.1:`targetPort`. */
export function startTcpProxy(targetPort: number): TcpProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const links = new Set<Link>();
  let count = 0;
  let trigger: Trigger | undefined;
  let swallow: Swallow | undefined;

  const pump = async (from: Deno.Conn, to: Deno.Conn, link: Link, watched: boolean) => {
    const buffer = new Uint8Array(64 * 1024);
    const decoder = new TextDecoder();
    let tail = "";
    try {
      while (true) {
        const size = await from.read(buffer);
        if (size === null) break;
        if (link.dead) {
          // The black hole: read, never delivered.
          if (watched && swallow) {
            const text = decoder.decode(buffer.subarray(0, size), { stream: true });
            swallow.left -= text.match(swallow.pattern)?.length ?? 0;
            if (swallow.left <= 0) swallow.done();
          }
          continue;
        }
        let written = 0;
        while (written < size) written += await to.write(buffer.subarray(written, size));
        if (watched && trigger) {
          const current = trigger;
          const text = tail + decoder.decode(buffer.subarray(0, size), { stream: true });
          tail = text.slice(-current.text.length);
          if (text.includes(current.text)) current.fire();
        }
      }
    } catch { /* a side closed */ }
    link.close();
  };

  const cut = async (blackHoleMs: number) => {
    const current = [...links];
    for (const link of current) link.dead = true;
    await new Promise((resolve) => setTimeout(resolve, blackHoleMs));
    for (const link of current) link.close();
  };

  const accept = async (client: Deno.Conn) => {
    let server: Deno.Conn;
    try {
      server = await Deno.connect({ hostname: "127.0.0.1", port: targetPort });
    } catch {
      client.close();
      return;
    }
    let closed = false;
    const link: Link = {
      dead: false,
      close() {
        if (closed) return;
        closed = true;
        links.delete(link);
        for (const conn of [client, server]) {
          try {
            conn.close();
          } catch { /* already closed */ }
        }
      },
    };
    links.add(link);
    await Promise.all([pump(client, server, link, true), pump(server, client, link, false)]);
  };

  const serving = (async () => {
    try {
      for await (const client of listener) {
        count++;
        void accept(client);
      }
    } catch { /* listener closed */ }
  })();

  return {
    port: (listener.addr as Deno.NetAddr).port,
    connections: () => count,
    cut: (blackHoleMs = 300) => cut(blackHoleMs),
    cutAfter(text, { pattern, count }) {
      return new Promise<void>((resolve) => {
        trigger = {
          text,
          fire() {
            trigger = undefined;
            const current = [...links];
            for (const link of current) link.dead = true;
            const close = () => {
              clearTimeout(timer);
              swallow = undefined;
              for (const link of current) link.close();
              resolve();
            };
            const timer = setTimeout(close, 10_000);
            swallow = { pattern: new RegExp(pattern.source, "g"), left: count, done: close };
          },
        };
      });
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      for (const link of [...links]) link.close();
      await serving;
    },
  };
}
