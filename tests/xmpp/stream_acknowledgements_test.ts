/**
 * The acknowledgement ledger on its own, with a fake clock: what is kept, what a barrier
 * confirms, what is written again, and its bounds (memory, an unanswered barrier).
 */
import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import {
  type AcknowledgementSettings,
  StreamAcknowledgements,
} from "../../src/xmpp/stream_acknowledgements.ts";
import { parseXml } from "../../src/xmpp/xml.ts";

const DOMAIN = "fb.example.org";

/** Runs `fn` with setTimeout and clearTimeout faked, restored afterwards. */
function withClock(fn: (clock: ReturnType<typeof FakeTimers.install>) => void): void {
  const clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout"] });
  try {
    fn(clock);
  } finally {
    clock.uninstall();
  }
}

function ledger(settings: AcknowledgementSettings & { onConfirmed?: () => void } = {}) {
  const written: string[] = [];
  const acks = new StreamAcknowledgements({
    domain: DOMAIN,
    write: (text) => {
      written.push(text);
      return Promise.resolve();
    },
    barrierDelayMs: 10,
    barrierEvery: 5,
    ...settings,
  });
  const barriers = () => written.filter((text) => text.startsWith("<iq"));
  const echo = (text: string) => acks.handle(parseXml(text));
  return { acks, written, barriers, echo };
}

Deno.test("one barrier per burst; its echo confirms everything written before it", () =>
  withClock((clock) => {
    const { acks, barriers, echo } = ledger();
    acks.streamUp();
    acks.written("<message id='a'/>");
    acks.written("<message id='b'/>");
    assert.equal(barriers().length, 0, "not per stanza");
    clock.tick(10);
    assert.equal(barriers().length, 1);
    acks.written("<message id='c'/>");
    assert.equal(acks.unconfirmed, 3);
    assert.ok(echo(barriers()[0]), "the echo is consumed");
    assert.equal(acks.unconfirmed, 1, "c came after the barrier");
    acks.close();
  }));

Deno.test("only the gateway's own domain confirms: a user cannot fake a barrier's answer", () =>
  withClock((clock) => {
    const { acks, barriers } = ledger();
    acks.streamUp();
    acks.written("<message id='a'/>");
    clock.tick(10);
    const id = /id="([^"]+)"/.exec(barriers()[0])![1];
    const forged = parseXml(`<iq type="result" from="mallory@example.org" id="${id}"/>`);
    assert.equal(acks.handle(forged), false);
    assert.equal(acks.unconfirmed, 1);
    const fromServer = parseXml(`<iq type="error" from="${DOMAIN}" to="${DOMAIN}" id="${id}"/>`);
    assert.equal(acks.handle(fromServer), true, "an error answer confirms too");
    assert.equal(acks.unconfirmed, 0);
    acks.close();
  }));

Deno.test("after a drop, what was not confirmed is written again first, in order, then a barrier", () =>
  withClock((clock) => {
    const { acks, written, echo, barriers } = ledger({ barrierEvery: 100 });
    acks.streamUp();
    acks.written("<message id='a'/>");
    clock.tick(10);
    echo(barriers()[0]);
    acks.written("<message id='b'/>");
    acks.written("<message id='c'/>");
    const failed = acks.written("<message id='d'/>");
    acks.writeFailed(failed); // its sender was told and sends it again itself
    acks.streamDown();
    written.length = 0;
    acks.streamUp();
    assert.deepEqual(written.slice(0, 2), ["<message id='b'/>", "<message id='c'/>"]);
    assert.ok(written[2].startsWith("<iq"), "a barrier right after");
    acks.close();
  }));

Deno.test("bounded: an unanswered barrier is given up, and the ledger keeps at most maxStanzas", () =>
  withClock((clock) => {
    const { acks, written } = ledger({
      barrierTimeoutMs: 1000,
      maxStanzas: 10,
      barrierEvery: 1000,
    });
    acks.streamUp();
    for (let n = 0; n < 25; n++) acks.written(`<message id='m${n}'/>`);
    assert.equal(acks.unconfirmed, 10, "the oldest were dropped");
    clock.tick(10); // the barrier goes out, and is never answered
    clock.tick(1000);
    assert.equal(acks.unconfirmed, 0, "given up: nothing would flood the user after a reconnect");
    acks.streamDown();
    written.length = 0;
    acks.streamUp();
    assert.deepEqual(written, []);
    acks.close();
  }));

Deno.test("confirmSoon sends the barrier without the delay, and confirmations are announced", () =>
  withClock(() => {
    let confirmations = 0;
    const { acks, barriers, echo } = ledger({ onConfirmed: () => confirmations++ });
    acks.streamUp();
    acks.confirmSoon();
    assert.equal(barriers().length, 0, "nothing to confirm");
    acks.written("<message id='a'/>");
    acks.confirmSoon();
    assert.equal(barriers().length, 1, "at once");
    acks.confirmSoon();
    assert.equal(barriers().length, 1, "one barrier in flight at most");
    echo(barriers()[0]);
    assert.equal(confirmations, 1);
    assert.equal(acks.unconfirmed, 0);
    acks.close();
  }));
