/**
 * `conflict` from the XMPP server: fatal when the gateway never got online (a second gateway is
 * running), retried after a network blip (the server still holds the previous, half-open
 * connection) — for a while, not for ever. Against a tiny XEP-0114 server on loopback.
 */
import assert from "node:assert/strict";
import { ComponentConnection } from "../../src/xmpp/component_connection.ts";

const DOMAIN = "fb.example.org";
const CONFLICT = "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>" +
  "</stream:error></stream:stream>";

/**
 * Accepts component streams; `accept(n)` says whether connection number n (from 1) completes the
 * handshake (then it is dropped after `dropAfterMs`, like a network blip) or gets `conflict`.
 */
function fakeServer(accept: (n: number) => boolean, dropAfterMs = 200) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  let count = 0;
  const serve = async (conn: Deno.Conn, n: number) => {
    const buffer = new Uint8Array(4096);
    let text = "";
    const read = async () => {
      const size = await conn.read(buffer);
      if (size === null) throw new Error("closed");
      text += new TextDecoder().decode(buffer.subarray(0, size));
    };
    const write = (s: string) => conn.write(new TextEncoder().encode(s));
    while (!text.includes("<stream:stream")) await read();
    await write(
      "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' " +
        `xmlns:stream='http://etherx.jabber.org/streams' id='s${n}' from='${DOMAIN}'>`,
    );
    if (accept(n)) {
      while (!text.includes("</handshake>")) await read();
      await write("<handshake/>");
      await new Promise((resolve) => setTimeout(resolve, dropAfterMs));
    } else {
      await write(CONFLICT);
      await read().catch(() => {});
    }
  };
  (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      serve(conn, ++count).catch(() => {}).finally(() => {
        conns.delete(conn);
        try {
          conn.close();
        } catch { /* already closed */ }
      });
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

async function outcome(connection: ComponentConnection, ms: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([
    connection.failed.then((error) => error.condition),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve("still retrying"), ms))),
  ]);
  clearTimeout(timer);
  return result;
}

function connect(port: number, conflictRetryMs?: number) {
  return new ComponentConnection({
    domain: DOMAIN,
    secret: "s3cret",
    server: "127.0.0.1",
    port,
    initialDelayMs: 50,
    maxDelayMs: 100,
    ...(conflictRetryMs === undefined ? {} : { conflictRetryMs }),
  });
}

const io = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "conflict before ever being online is fatal (another gateway holds the domain)",
  ...io,
  async fn() {
    const server = fakeServer(() => false);
    const connection = connect(server.port);
    connection.start();
    try {
      assert.equal(await outcome(connection, 10_000), "conflict");
    } finally {
      await connection.stop();
      server.close();
    }
  },
});

Deno.test({
  name: "conflict after a network blip is retried, and the gateway gets back online",
  ...io,
  async fn() {
    // Online, dropped; refused twice (the server holds the old link); then accepted again.
    const server = fakeServer((n) => n === 1 || n >= 4);
    const connection = connect(server.port);
    let onlines = 0;
    connection.onOnline(() => onlines++);
    connection.start();
    try {
      const deadline = Date.now() + 10_000;
      while (onlines < 2 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(onlines >= 2, true, `online ${onlines} times, ${server.connections()} tries`);
      assert.equal(await outcome(connection, 0), "still retrying");
    } finally {
      await connection.stop();
      server.close();
    }
  },
});

Deno.test({
  name: "a conflict that lasts past conflictRetryMs ends the connection for good",
  ...io,
  async fn() {
    const server = fakeServer((n) => n === 1);
    const connection = connect(server.port, 500);
    connection.start();
    try {
      assert.equal(await outcome(connection, 10_000), "conflict");
      assert.ok(server.connections() > 2, "it was retried first");
    } finally {
      await connection.stop();
      server.close();
    }
  },
});
