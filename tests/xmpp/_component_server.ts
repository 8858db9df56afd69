/**
 * A tiny XEP-0114 server on loopback for the component connection's tests: it accepts component
 * streams (or refuses them with `conflict`), parses what the gateway writes, routes iqs the
 * component addresses to its own domain back to it (as Prosody does), and can cut a connection
 * abruptly — everything the gateway wrote after the cut point is then lost, as in a dying TCP
 * connection.
 *
 * @module
 */

import { xml as untypedXml } from "@xmpp/component";
import type { Element } from "../../src/xmpp/xml.ts";

/** The component domain of these tests. */
export const DOMAIN = "fb.example.org";

const CONFLICT = "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
  "</stream:error></stream:stream>";

interface StreamParser {
  on(event: "element", listener: (element: Element) => void): void;
  on(event: "start" | "end" | "error", listener: (value: unknown) => void): void;
  write(text: string): void;
}

/** What a test may do from inside the server's stanza handler. */
export interface ServerConnection {
  /** Connection number, from 1. */
  readonly n: number;
  /**
   * Kills the connection: from now on nothing the component writes is processed (it is read and
   * thrown away, as by a dying network path), and the socket closes after `delayMs`.
   */
  cut(delayMs?: number): void;
  /** Writes raw XML to the component. */
  write(text: string): Promise<void>;
}

/** Options of {@link componentServer}. */
export interface ComponentServerOptions {
  /** Whether connection n (from 1) completes the handshake; else it gets `conflict`. Default: yes. */
  accept?: (n: number) => boolean;
  /** Drop each accepted connection after this long (ms), like a network blip. Default: never. */
  dropAfterMs?: number;
  /**
   * Sees every stanza the component sends, after the handshake, in order, as the server processes
   * it (before routing). Returning false drops it unprocessed.
   */
  onStanza?: (stanza: Element, connection: ServerConnection) => boolean | void;
}

/** A running fake server; `close()` it. */
export interface ComponentServer {
  readonly port: number;
  /** Connections accepted so far. */
  connections(): number;
  close(): void;
}

/** Starts the fake server on a free loopback port. */
export function componentServer(options: ComponentServerOptions = {}): ComponentServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  let count = 0;
  const encoder = new TextEncoder();

  const serve = async (conn: Deno.Conn, n: number) => {
    let closed = false;
    let dead = false;
    const write = async (text: string) => {
      if (!closed && !dead) await conn.write(encoder.encode(text));
    };
    const close = () => {
      closed = true;
      try {
        conn.close();
      } catch { /* already closed */ }
    };
    const cut = (delayMs = 0) => {
      dead = true;
      if (delayMs === 0) close();
      else setTimeout(close, delayMs);
    };
    const connection: ServerConnection = { n, cut, write };
    const Parser = (untypedXml as unknown as { Parser: new () => StreamParser }).Parser;
    const parser = new Parser();
    let authenticated = false;
    parser.on("start", () => {
      void write(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' " +
          `xmlns:stream='http://etherx.jabber.org/streams' id='s${n}' from='${DOMAIN}'>`,
      );
      if (!(options.accept?.(n) ?? true)) {
        void write(CONFLICT).finally(close);
      }
    });
    parser.on("element", (element) => {
      if (dead) return;
      if (!authenticated) {
        if (element.name === "handshake") {
          authenticated = true;
          void write("<handshake/>");
          if (options.dropAfterMs !== undefined) setTimeout(close, options.dropAfterMs);
        }
        return;
      }
      if (options.onStanza?.(element, connection) === false || dead) return;
      if (element.name === "iq" && element.attrs.to === DOMAIN) void write(element.toString());
    });
    parser.on("error", close);
    parser.on("end", close);
    const buffer = new Uint8Array(64 * 1024);
    const decoder = new TextDecoder();
    while (!closed) {
      const size = await conn.read(buffer).catch(() => null);
      if (size === null) break;
      // Elements after a cut in the same chunk are dropped by the "element" listener.
      if (!dead) parser.write(decoder.decode(buffer.subarray(0, size), { stream: true }));
    }
    close();
  };

  (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      serve(conn, ++count).catch(() => {}).finally(() => conns.delete(conn));
    }
  })().catch(() => {});

  return {
    port: listener.addr.port,
    connections: () => count,
    close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    },
  };
}
