/**
 * The bridged message path against its one-hop baseline, measured in the same run.
 *
 * Baseline: a client sends to another client through Prosody, which echoes each message back.
 * Bridged: the same client sends to the simulated network's Echo Bot through the gateway
 * (Prosody → gateway → Messenger session → echo → gateway → Prosody). Both are measured
 * sequentially (round-trip latency) and pipelined (throughput). Printed as ratios
 * bridged/baseline: the cost the gateway adds on this machine, whatever its speed.
 *
 *     deno run -A bench/message_path.ts [--n 300]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { connectClient, type TestClient, xml } from "../tests/e2e/_harness/client.ts";
import { startGateway } from "../tests/e2e/_harness/gateway.ts";
import { startProsody } from "../tests/e2e/_harness/prosody.ts";
import { ALICE_COOKIES, seededKv } from "../tests/e2e/_harness/seeded_user.ts";

const { values } = parseArgs({ options: { n: { type: "string" } }, strict: false });
const n = Math.max(20, Math.min(Number(values.n ?? 300) || 300, 5000));

const WORLD = `[[account]]
email = "alice@example.com"
password = "correct horse"
cookies = "${ALICE_COOKIES}"
user_id = "100001"
name = "Alice Example"
  [[account.friend]]
  id = "200001"
  name = "Echo Bot"
  echo = true
`;

interface Result {
  p50: number;
  p95: number;
  perSecond: number;
}

/** Sends `n` bodies to `to` one at a time, then `n` pipelined; echoes come back from `to`. */
async function measure(client: TestClient, to: string, tag: string): Promise<Result> {
  const from = to.split("/")[0];
  const echo = (body: string) =>
    client.waitFor(
      (s) =>
        s.is("message") && s.attrs.from?.split("/")[0] === from && s.getChildText("body") === body,
      30_000,
      `echo of ${body}`,
    );
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const body = `${tag}-seq-${i}`;
    const start = performance.now();
    await client.send(xml("message", { type: "chat", to, id: body }, xml("body", {}, body)));
    await echo(body);
    latencies.push(performance.now() - start);
  }
  const start = performance.now();
  const waits: Promise<unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const body = `${tag}-pipe-${i}`;
    waits.push(echo(body));
    await client.send(xml("message", { type: "chat", to, id: body }, xml("body", {}, body)));
  }
  await Promise.all(waits);
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    p50: latencies[Math.floor(n * 0.5)],
    p95: latencies[Math.floor(n * 0.95)],
    perSecond: n / seconds,
  };
}

await using server = await startProsody();
await server.register("alice", "alicepw");
await server.register("bob", "bobpw");
await using kv = await seededKv();
await using _gateway = await startGateway(server, {
  world: WORLD,
  config: { gateway: { data: kv.path }, log: { level: "info" } },
});
await using alice = await connectClient(server, "alice", "alicepw");
await using bob = await connectClient(server, "bob", "bobpw");
const gw = server.componentDomain;
await alice.waitFor(
  (s) =>
    s.is("presence") && s.attrs.from === gw && /Connected/.test(s.getChildText("status") ?? ""),
  15_000,
  "the gateway connected",
);
// Bob echoes everything Alice sends him: the one-hop baseline's other end.
const bobEchoes = (async () => {
  while (true) {
    let message;
    try {
      message = await bob.waitFor((s) => s.is("message") && !!s.getChildText("body"), 60_000);
    } catch {
      return;
    }
    await bob.send(
      xml(
        "message",
        { type: "chat", to: message.attrs.from },
        xml("body", {}, message.getChildText("body")!),
      ),
    );
  }
})();

// Warm-up (uncounted), then alternate so neither side always runs first on a noisy machine.
await measure(alice, "bob@localhost", "warm-direct").catch(() => {});
const direct = await measure(alice, "bob@localhost", "direct");
const bridged = await measure(alice, `200001@${gw}`, "bridged");

const fmt = (x: number) => x.toFixed(2);
console.log(`message_path: ${n} messages each way, sequential then pipelined`);
console.log(
  `  baseline (client→Prosody→client echo): p50 ${fmt(direct.p50)} ms, p95 ${
    fmt(direct.p95)
  } ms, ` +
    `${direct.perSecond.toFixed(0)} msg/s`,
);
console.log(
  `  bridged  (client→gateway→Messenger echo): p50 ${fmt(bridged.p50)} ms, p95 ${
    fmt(bridged.p95)
  } ms, ` +
    `${bridged.perSecond.toFixed(0)} msg/s`,
);
console.log(`  RATIO latency p50 bridged/baseline = ${fmt(bridged.p50 / direct.p50)}`);
console.log(`  RATIO throughput bridged/baseline = ${fmt(bridged.perSecond / direct.perSecond)}`);
await bob.close();
await bobEchoes;
