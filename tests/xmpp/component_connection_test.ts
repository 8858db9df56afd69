/**
 * The component connection against a tiny XEP-0114 server on loopback:
 * - `conflict` from the XMPP server: fatal when the gateway never got online (a second gateway
 *   is running), retried after a network blip (the server still holds the previous, half-open
 *   connection) — for a while, not for ever;
 * - a stream cut mid-burst loses nothing: what the server had not confirmed is written again
 *   after the reconnection, with the same ids, and confirmed stanzas are not;
 * - a stanza above the size cap is refused, never written, and the stream stays up (also among
 *   stanzas sent together, which arrive in order).
 */
import assert from "node:assert/strict";
import {
  ComponentConnection,
  type ComponentConnectionOptions,
} from "../../src/xmpp/component_connection.ts";
import { type Element, xml } from "../../src/xmpp/xml.ts";
import { componentServer, DOMAIN } from "./_component_server.ts";

async function outcome(connection: ComponentConnection, ms: number): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const result = await Promise.race([
    connection.failed.then((error) => error.condition),
    new Promise<string>((resolve) => (timer = setTimeout(() => resolve("still retrying"), ms))),
  ]);
  clearTimeout(timer);
  return result;
}

function connect(port: number, options: Partial<ComponentConnectionOptions> = {}) {
  return new ComponentConnection({
    domain: DOMAIN,
    secret: "s3cret",
    server: "127.0.0.1",
    port,
    initialDelayMs: 50,
    maxDelayMs: 100,
    ...options,
  });
}

const io = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "conflict before ever being online is fatal (another gateway holds the domain)",
  ...io,
  async fn() {
    const server = componentServer({ accept: () => false });
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
    const server = componentServer({ accept: (n) => n === 1 || n >= 4, dropAfterMs: 200 });
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
    const server = componentServer({ accept: (n) => n === 1, dropAfterMs: 200 });
    const connection = connect(server.port, { conflictRetryMs: 500 });
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

/** Resolves once `condition` holds (checked every 10 ms), or throws after `ms` naming `what`. */
async function until(what: string, condition: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function message(n: number, body = `message ${n}`): Element {
  return xml(
    "message",
    { type: "chat", from: `1@${DOMAIN}`, to: "alice@example.org", id: `m${n}` },
    xml("body", {}, body),
  );
}

/** Sends like the gateway's senders do: again after the reconnection when the link is down. */
async function sendSurely(connection: ComponentConnection, stanza: Element): Promise<void> {
  while (!(await connection.send(stanza))) {
    if (!(await connection.whenOnline(10_000))) throw new Error("never back online");
  }
}

Deno.test({
  name: "a stream cut mid-burst loses nothing: unconfirmed stanzas are sent again, same ids",
  ...io,
  async fn() {
    const BURST = 1000;
    const CUT_AT = 300;
    /** Every message the server processed, by id, with the connection it came on. */
    const processed: { id: string; connection: number }[] = [];
    const server = componentServer({
      onStanza(stanza, connection) {
        if (stanza.name !== "message") return;
        processed.push({ id: stanza.attrs.id!, connection: connection.n });
        // The first connection dies mid-burst: what the gateway writes in the next 200 ms is
        // swallowed by the dying path, then the socket closes.
        if (connection.n === 1 && processed.length === CUT_AT) connection.cut(200);
      },
    });
    const connection = connect(server.port, {
      acknowledgements: { barrierDelayMs: 5, barrierEvery: 50 },
    });
    connection.start();
    try {
      assert.ok(await connection.whenOnline(10_000));
      for (let n = 1; n <= BURST; n++) await sendSurely(connection, message(n));
      await until(
        "every message at the server",
        () => new Set(processed.map((p) => p.id)).size === BURST,
      ).catch(() => {});
      const ids = processed.map((p) => p.id);
      const distinct = new Set(ids);
      const lost = BURST - [...distinct].filter((id) => /^m\d+$/.test(id)).length;
      const copies = ids.length - distinct.size;
      console.log(
        `component stream cut mid-burst: sent ${BURST}, delivered ${distinct.size}, lost ${lost}, ` +
          `re-sent copies ${copies} (same ids, dropped by clients), connections ${server.connections()}`,
      );
      assert.ok(server.connections() >= 2, "the stream was cut and reconnected");
      assert.equal(lost, 0, "messages lost at the cut");
      // Copies are only of what followed the last confirmation before the cut, never the start.
      assert.ok(!ids.slice(CUT_AT).includes("m1"), "a confirmed stanza was sent again");
      // The order of first arrivals is the order sent.
      const firsts = [...distinct].map((id) => Number(id.slice(1)));
      assert.deepEqual(firsts, firsts.toSorted((a, b) => a - b), "order kept");
    } finally {
      await connection.stop();
      server.close();
    }
  },
});

Deno.test({
  name: "confirmed stanzas are not sent again after a drop, and a burst costs few barriers",
  ...io,
  async fn() {
    const seen: string[] = [];
    let barriers = 0;
    let link: { cut(delayMs?: number): void } | undefined;
    const server = componentServer({
      onStanza(stanza, connection) {
        link = connection;
        if (stanza.name === "iq" && stanza.attrs.to === DOMAIN) barriers++;
        if (stanza.name === "message") seen.push(stanza.attrs.id!);
      },
    });
    const connection = connect(server.port, {
      acknowledgements: { barrierDelayMs: 5, barrierEvery: 100 },
    });
    connection.start();
    try {
      assert.ok(await connection.whenOnline(10_000));
      await Promise.all(Array.from({ length: 500 }, (_, i) => connection.send(message(i + 1))));
      await until("the burst confirmed", () => connection.unconfirmed === 0);
      console.log(`a burst of 500 stanzas cost ${barriers} barrier iqs`);
      assert.ok(barriers >= 1 && barriers <= 500 / 100 + 2, `${barriers} barriers`);

      link!.cut();
      await until("the drop noticed", () => !connection.online);
      assert.ok(await connection.whenOnline(10_000));
      await sendSurely(connection, message(501));
      await until("m501 at the server", () => seen.includes("m501"));
      assert.equal(seen.length, 501, "confirmed messages were sent again");
    } finally {
      await connection.stop();
      server.close();
    }
  },
});

Deno.test({
  name: "a stanza above the size cap is refused and never written; the stream stays up",
  ...io,
  async fn() {
    const seen: string[] = [];
    const server = componentServer({
      onStanza(stanza) {
        if (stanza.name === "message") seen.push(stanza.attrs.id!);
      },
    });
    const connection = connect(server.port, { maxStanzaBytes: 64 * 1024 });
    connection.start();
    try {
      assert.ok(await connection.whenOnline(10_000));
      // 40,000 "é" are 80,000 bytes in UTF-8 though only 40,000 characters.
      assert.equal(await connection.send(message(1, "é".repeat(40_000))), false);
      assert.equal(await connection.send(message(2, "x".repeat(60_000))), true);
      // Sent together (one write): in order, the one too large left out.
      const together = [message(3), message(4, "é".repeat(40_000)), message(5)];
      assert.equal(await connection.sendAll(together), 2);
      await until("m5 at the server", () => seen.includes("m5"));
      assert.deepEqual(seen, ["m2", "m3", "m5"]);
      assert.equal(server.connections(), 1);
      assert.ok(connection.online);
    } finally {
      await connection.stop();
      server.close();
    }
  },
});
