import assert from "node:assert/strict";
import { type LogRecord, resetSync } from "@logtape/logtape";
import FakeTimers from "@sinonjs/fake-timers";
import { configureLogging, formatRecord } from "../../src/log.ts";
import { LogThrottle } from "../../src/log_throttle.ts";
import { messageRateLimit, TokenBuckets } from "../../src/xmpp/message_rate_limit.ts";
import type { Element } from "../../src/xmpp/xml.ts";
import { errorCondition, errorText, parse } from "./_stanzas.ts";

const DOMAIN = "facebook.example.org";

function chat(from: string, to: string, id: string): Element {
  return parse(
    `<message type="chat" from="${from}" to="${to}" id="${id}"><body>hi</body></message>`,
  );
}

function limited(settings = { perSecond: 20, burst: 100 }) {
  let now = 0;
  const sent: Element[] = [];
  const clock = FakeTimers.createClock();
  const throttle = new LogThrottle({
    timers: {
      setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
      clearTimeout: (handle) => clock.clearTimeout(handle as number),
    },
  });
  const admit = messageRateLimit({
    domain: DOMAIN,
    settings,
    send: (stanza) => void sent.push(stanza),
    throttle,
    now: () => now,
  });
  return { admit, sent, clock, advance: (ms: number) => (now += ms) };
}

Deno.test("token buckets: a burst, then the sustained rate; each key its own", () => {
  let now = 0;
  const buckets = new TokenBuckets({ perSecond: 10, burst: 3 }, () => now);
  assert.deepEqual([1, 2, 3, 4].map(() => buckets.take("a")), [true, true, true, false]);
  assert.equal(buckets.take("b"), true, "another key is not affected");
  now += 100; // one token back at 10 per second
  assert.deepEqual([buckets.take("a"), buckets.take("a")], [true, false]);
  now += 60_000;
  assert.deepEqual([1, 2, 3, 4].map(() => buckets.take("a")), [true, true, true, false]);
});

Deno.test("token buckets that are full again are forgotten when many senders come and go", () => {
  let now = 0;
  const buckets = new TokenBuckets({ perSecond: 1000, burst: 1 }, () => now);
  for (let i = 0; i < 10_000; i++) buckets.take(`user${i}`);
  now += 10;
  buckets.take("one more");
  assert.equal(buckets.size, 1);
});

Deno.test("over the limit a message gets resource-constraint at once and goes no further", () => {
  const { admit, sent, advance } = limited({ perSecond: 20, burst: 100 });
  const outcomes = Array.from(
    { length: 150 },
    (_, i) => admit(chat("alice@example.org/phone", `200001@${DOMAIN}`, `m${i}`)),
  );
  assert.equal(outcomes.filter((ok) => ok).length, 100);
  assert.equal(sent.length, 50);
  const [reply] = sent;
  assert.equal(reply.toString().includes("<body"), false, "nothing of the message is sent back");
  assert.equal(reply.attrs.type, "error");
  assert.equal(reply.attrs.id, "m100");
  assert.equal(reply.attrs.to, "alice@example.org/phone");
  assert.equal(reply.attrs.from, `200001@${DOMAIN}`);
  assert.equal(errorCondition(reply), "resource-constraint");
  assert.equal(reply.getChild("error")?.attrs.type, "wait");
  assert.match(errorText(reply)!, /please slow down/);
  assert.match(errorText(reply)!, /at most 100 at once, then 20 per second/);
  // A second later there is room for 20 more; the same user to a room or the gateway counts too.
  advance(1000);
  const again = [`200002@${DOMAIN}`, `123456@${DOMAIN}/nick`, DOMAIN].map((to, i) =>
    admit(chat("alice@example.org/laptop", to, `n${i}`))
  );
  assert.deepEqual(again, [true, true, true]);
});

Deno.test("the limit is per sender, and leaves iqs, presences, errors and other domains alone", () => {
  const { admit, sent } = limited({ perSecond: 1, burst: 1 });
  assert.equal(admit(chat("mallory@example.org/x", `200001@${DOMAIN}`, "a")), true);
  assert.equal(admit(chat("mallory@example.org/x", `200001@${DOMAIN}`, "b")), false);
  assert.equal(admit(chat("bob@example.org/x", `200001@${DOMAIN}`, "c")), true);
  for (
    const stanza of [
      `<iq type="get" from="mallory@example.org/x" to="${DOMAIN}" id="i"><ping xmlns="urn:xmpp:ping"/></iq>`,
      `<presence from="mallory@example.org/x" to="200001@${DOMAIN}"/>`,
      `<message type="error" from="mallory@example.org/x" to="200001@${DOMAIN}" id="e"/>`,
      `<message type="chat" from="mallory@example.org/x" to="someone@elsewhere.org" id="o"/>`,
    ]
  ) {
    assert.equal(admit(parse(stanza)), true, stanza);
  }
  assert.equal(sent.length, 1);
});

Deno.test("rate_limit 0 turns the limit off", () => {
  const { admit, sent } = limited({ perSecond: 0, burst: 1 });
  for (let i = 0; i < 1000; i++) assert.equal(admit(chat("a@example.org/x", DOMAIN, `${i}`)), true);
  assert.equal(sent.length, 0);
});

Deno.test("a flood of refusals is logged once, then once with its count", () => {
  const records: LogRecord[] = [];
  configureLogging("debug", { sink: (record) => records.push(record) });
  try {
    const { admit, clock } = limited({ perSecond: 20, burst: 100 });
    for (let i = 0; i < 5000; i++) admit(chat("mallory@example.org/x", `200001@${DOMAIN}`, `${i}`));
    assert.equal(records.length, 1);
    clock.tick(10_000);
    const lines = records.map((record) => formatRecord(record, true));
    assert.equal(lines.length, 2);
    assert.match(lines[0], /Refused a message from mallory@example.org: over the rate limit/);
    assert.match(lines[1], /\(4899 more like this in the last 10 s\)/);
  } finally {
    resetSync();
  }
});

Deno.test("over the limit, a copy the gateway injected itself is dropped without an answer", () => {
  const { admit, sent } = limited({ perSecond: 1, burst: 1 });
  const copy = () =>
    parse(
      `<message type="chat" from="alice@example.org" to="200001@${DOMAIN}" id="c">` +
        `<body>sent from the phone</body>` +
        `<injected xmlns="urn:x-messenger-gateway:injected:0" by="${DOMAIN}"/></message>`,
    );
  assert.equal(admit(copy()), true);
  assert.equal(admit(copy()), false);
  assert.equal(sent.length, 0);
});
