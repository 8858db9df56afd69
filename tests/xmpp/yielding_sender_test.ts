import assert from "node:assert/strict";
import { type YieldingConnection, YieldingSender } from "../../src/xmpp/yielding_sender.ts";
import { type Element, xml } from "../../src/xmpp/xml.ts";

/** A connection whose server confirms when the test says so. */
class FakeConnection implements YieldingConnection {
  written: Element[] = [];
  unconfirmed = 0;
  online = true;
  confirmRequests = 0;
  #confirmed: (() => void)[] = [];
  #online: (() => void)[] = [];
  send(stanza: Element): void {
    this.written.push(stanza);
    this.unconfirmed++;
  }
  onConfirmed(listener: () => void): void {
    this.#confirmed.push(listener);
  }
  onOnline(listener: () => void): void {
    this.#online.push(listener);
  }
  confirmSoon(): void {
    this.confirmRequests++;
  }
  confirmAll(): void {
    this.unconfirmed = 0;
    for (const listener of this.#confirmed) listener();
  }
  up(): void {
    this.online = true;
    for (const listener of this.#online) listener();
  }
}

const to = (user: string, n: number) => xml("message", { to: user, id: `${user}-${n}` });

Deno.test("yielding stanzas go out only while the server has few to process, asking it to confirm", () => {
  const connection = new FakeConnection();
  const lane = new YieldingSender(connection, { maxInFlight: 3 });
  for (let i = 0; i < 10; i++) lane.send(to("mallory", i));
  assert.equal(connection.written.length, 3);
  assert.equal(lane.queued, 7);
  assert.ok(connection.confirmRequests > 0, "a confirmation was asked for");
  // Anything else written meanwhile counts too: the lane waits behind it.
  connection.unconfirmed += 5;
  connection.confirmAll();
  assert.equal(connection.written.length, 6);
  connection.confirmAll();
  connection.confirmAll();
  connection.confirmAll();
  assert.equal(connection.written.length, 10);
  assert.equal(lane.queued, 0);
});

Deno.test("recipients take turns", () => {
  const connection = new FakeConnection();
  connection.unconfirmed = 100;
  const lane = new YieldingSender(connection, { maxInFlight: 100 });
  for (let i = 0; i < 3; i++) lane.send(to("mallory", i));
  lane.send(to("eve", 0));
  lane.send(to("eve", 1));
  connection.confirmAll();
  assert.deepEqual(connection.written.map((s) => s.attrs.id), [
    "mallory-0",
    "eve-0",
    "mallory-1",
    "eve-1",
    "mallory-2",
  ]);
});

Deno.test("while the stream is down the lane waits, and goes on once it is up", () => {
  const connection = new FakeConnection();
  connection.online = false;
  const lane = new YieldingSender(connection);
  lane.send(to("mallory", 0));
  assert.equal(connection.written.length, 0);
  connection.up();
  assert.equal(connection.written.length, 1);
});

Deno.test("beyond maxQueued new stanzas are dropped (the lane's memory is bounded)", () => {
  const connection = new FakeConnection();
  connection.online = false;
  const lane = new YieldingSender(connection, { maxQueued: 5 });
  for (let i = 0; i < 8; i++) lane.send(to("mallory", i));
  assert.equal(lane.queued, 5);
  connection.up();
  assert.deepEqual(
    connection.written.map((s) => s.attrs.id),
    [0, 1, 2, 3, 4].map((i) => `mallory-${i}`),
  );
});
