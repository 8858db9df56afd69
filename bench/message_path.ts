/**
 * The bridged 1:1 message path against two baselines, all measured in the same run.
 *
 * - **client echo**: a client sends to another client through Prosody, which echoes each message
 *   back (client → Prosody → client → Prosody → client);
 * - **component echo**: the same client sends to a bare `@xmpp/component` in its own process that
 *   echoes (bench/_component_echo.ts): what the XMPP library and the component hop cost apart from
 *   the gateway;
 * - **bridged**: the same client sends to the simulated network's Echo Bot through the gateway
 *   process (Prosody → gateway → Messenger session → echo → gateway → Prosody).
 *
 * Every path crosses Prosody twice, so what separates them is the work at the far end. Each round
 * measures the three paths in a rotating order, `--n` messages each one at a time (round-trip
 * latency), then `--n` more pipelined in bursts of 200 (throughput; a conversation holds at most
 * 256 waiting messages); latencies are pooled over `--rounds`, throughputs are the median round. The gateway runs with bench/_gateway_probe.ts preloaded, which counts KV
 * operations, timers, stanza serialisations and log writes during the bridged phases; `--profile`
 * also takes a CPU profile of them and prints where the time went.
 *
 * Prints the figures, the ratios against the client echo (the targets: p50 ≤ 1.5×, p99 ≤ 3×,
 * throughput ≥ 0.8×, KV commits ≤ 1 per bridged message) as `TARGET` lines, and the ratios against
 * the component echo for context.
 *
 *     deno run -A bench/message_path.ts [--n 500] [--rounds 3] [--profile] [--log-level info]
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { clampInt } from "./_args.ts";
import { connectClient, xml } from "../tests/e2e/_harness/client.ts";
import { REPO_ROOT } from "../tests/e2e/_harness/gateway.ts";
import { startProsody } from "../tests/e2e/_harness/prosody.ts";
import { aliceWorld, connectedPresence } from "../tests/e2e/_harness/registered_alice.ts";
import { seededKv } from "../tests/e2e/_harness/seeded_user.ts";
import { type CpuProfile, formatSummary, summarise } from "./_cpu_profile.ts";
import {
  addCounts,
  cpuMs,
  median,
  percentile,
  type ProbeCounts,
  type RoundTrips,
  roundTrips,
  startProbedGateway,
} from "./_paths.ts";
import { reportTarget } from "./_target.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string" },
    rounds: { type: "string" },
    profile: { type: "boolean" },
    "log-level": { type: "string" },
  },
  strict: false,
});
const n = clampInt(values.n, 500, 20, 5000);
const rounds = clampInt(values.rounds, 3, 1, 20);
const logLevel = typeof values["log-level"] === "string" ? values["log-level"] : "info";

const ECHO_DOMAIN = "echo.localhost";
const echoSecret = crypto.randomUUID();

const profileDir = values.profile ? await Deno.makeTempDir({ prefix: "mg-bench-profile-" }) : "";
await using server = await startProsody({
  // A second component for the bare-library baseline (sections may follow the global options).
  globalConfig: `Component "${ECHO_DOMAIN}"\n  component_secret = "${echoSecret}"\n`,
});
await server.register("alice", "alicepw");
await server.register("bob", "bobpw");
await using kv = await seededKv();
const gateway = await startProbedGateway(server, {
  world: aliceWorld(),
  config: { gateway: { data: kv.path }, log: { level: logLevel } },
  ...(profileDir ? { profilePrefix: join(profileDir, "bridged") } : {}),
  // Time inside the gateway is taken for messages sent one at a time only.
  env: { MG_PROBE_TRACE: "-seq-" },
});
await using _gateway = gateway.process;
await using echoComponent = await startEchoComponent(server.componentPort);
await using alice = await connectClient(server, "alice", "alicepw");
await using bob = await connectClient(server, "bob", "bobpw");
const gw = server.componentDomain;
await connectedPresence(alice, gw);
// Bob echoes everything Alice sends him: the one-hop baseline's other end.
const bobEchoes = (async () => {
  while (true) {
    let message;
    try {
      message = await bob.waitFor((s) => s.is("message") && !!s.getChildText("body"), 600_000);
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

type Path = "client" | "component" | "bridged";
const targets: Record<Path, string> = {
  client: "bob@localhost",
  component: `bench@${ECHO_DOMAIN}`,
  bridged: `200001@${gw}`,
};
const results: Record<Path, RoundTrips[]> = { client: [], component: [], bridged: [] };
/** CPU time the far end used, per path (the client echo shares the bench's own process). */
const farEndCpuMs: Record<Path, number> = { client: 0, component: 0, bridged: 0 };
const prosodyPid = Number((await Deno.readTextFile(join(server.dir, "prosody.pid"))).trim());
const prosodyCpuMs: Record<Path, number> = { client: 0, component: 0, bridged: 0 };
const farEnd: Partial<Record<Path, number>> = {
  component: echoComponent.pid,
  bridged: gateway.process.pid,
};
let counts: ProbeCounts | undefined;
const inside: { p50: number; p99: number }[] = [];
const profiles: string[] = [];

// Warm-up (uncounted): JIT, connections, the conversation and its caches.
for (const path of Object.keys(targets) as Path[]) {
  await roundTrips(alice, targets[path], Math.min(n, 200), `warm-${path}`);
}
const order: Path[] = ["client", "component", "bridged"];
for (let round = 0; round < rounds; round++) {
  for (let i = 0; i < order.length; i++) {
    const path = order[(i + round) % order.length];
    if (path === "bridged") await gateway.start();
    const pid = farEnd[path];
    const cpuBefore = pid ? await cpuMs(pid) : 0;
    const prosodyBefore = await cpuMs(prosodyPid);
    results[path].push(await roundTrips(alice, targets[path], n, `${path}-${round}`));
    if (pid) farEndCpuMs[path] += (await cpuMs(pid)) - cpuBefore;
    prosodyCpuMs[path] += (await cpuMs(prosodyPid)) - prosodyBefore;
    if (path === "bridged") {
      const report = await gateway.stop();
      counts = addCounts(counts, report.counts);
      inside.push(report.inside);
      if (report.profile) profiles.push(report.profile);
    }
  }
}

const summary = (path: Path) => {
  const latencies = results[path].flatMap((r) => r.latencies);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    perSecond: median(results[path].map((r) => r.perSecond)),
  };
};
const client = summary("client");
const component = summary("component");
const bridged = summary("bridged");
const ms = (x: number) => `${x.toFixed(2)} ms`;
const line = (name: string, s: typeof client) =>
  `  ${name.padEnd(46)} p50 ${ms(s.p50)}, p99 ${ms(s.p99)}, ${s.perSecond.toFixed(0)} msg/s`;
console.log(
  `message_path: ${rounds} round(s) of ${n} messages per path, one at a time then pipelined; ` +
    `gateway log level ${logLevel}`,
);
console.log(line("client echo (client→Prosody→client)", client));
console.log(line("component echo (bare @xmpp/component)", component));
console.log(line("bridged (gateway→Messenger echo)", bridged));
const ratio = (a: number, b: number) => (a / b).toFixed(2);
console.log(
  `  component/client: p50 ${ratio(component.p50, client.p50)}, p99 ${
    ratio(component.p99, client.p99)
  }, throughput ${ratio(component.perSecond, client.perSecond)}`,
);
console.log(
  `  bridged/component: p50 ${ratio(bridged.p50, component.p50)}, p99 ${
    ratio(bridged.p99, component.p99)
  }, throughput ${ratio(bridged.perSecond, component.perSecond)}`,
);

// Per bridged message: each round trip is two (the user's to Messenger, the echo back).
const roundTripsCounted = rounds * 2 * n;
console.log(
  `  CPU per round trip at the far end: component echo ${
    (farEndCpuMs.component / roundTripsCounted).toFixed(3)
  } ms, gateway ${(farEndCpuMs.bridged / roundTripsCounted).toFixed(3)} ms; Prosody's: client ${
    (prosodyCpuMs.client / roundTripsCounted).toFixed(3)
  } ms, component ${(prosodyCpuMs.component / roundTripsCounted).toFixed(3)} ms, bridged ${
    (prosodyCpuMs.bridged / roundTripsCounted).toFixed(3)
  } ms`,
);
const bridgedMessages = 2 * roundTripsCounted;
if (counts) {
  const per = (x: number) => (x / roundTripsCounted).toFixed(2);
  console.log(
    `  per round trip in the gateway: ${per(counts.kvGets)} kv.get, ${
      per(counts.kvLists)
    } kv.list, ` +
      `${per(counts.kvCommits)} KV commits (${per(counts.kvMutations)} mutations), ` +
      `${per(counts.timeouts)} setTimeout, ${per(counts.serialisations)} stanza serialisations, ` +
      `${per(counts.stdioWrites)} log writes (${per(counts.stdioBytes)} bytes)`,
  );
}
console.log(
  `  time inside the gateway, one at a time, arrival to echo (per round): p50 ${
    inside.map((x) => ms(x.p50)).join(", ")
  }; p99 ${inside.map((x) => ms(x.p99)).join(", ")}`,
);
for (const [i, file] of profiles.entries()) {
  console.log(`  CPU profile of bridged round ${i + 1} (${file}):`);
  const profile = JSON.parse(await Deno.readTextFile(file)) as CpuProfile;
  for (const text of formatSummary(summarise(profile, 12), "    ")) console.log(text);
}

reportTarget("1:1 bridged p50 latency / client echo", bridged.p50 / client.p50, "<=", 1.5);
reportTarget("1:1 bridged p99 latency / client echo", bridged.p99 / client.p99, "<=", 3);
reportTarget(
  "1:1 bridged pipelined throughput / client echo",
  bridged.perSecond / client.perSecond,
  ">=",
  0.8,
);
if (counts) {
  reportTarget("KV commits per bridged message", counts.kvCommits / bridgedMessages, "<=", 1);
}

await bob.close();
await bobEchoes;

/** The bare component echo in its own process, online. */
async function startEchoComponent(port: number): Promise<AsyncDisposable & { pid: number }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      join(REPO_ROOT, "bench/_component_echo.ts"),
      String(port),
      ECHO_DOMAIN,
      echoSecret,
    ],
    cwd: REPO_ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + 20_000;
  while (!seen.includes("echo component online")) {
    if (Date.now() > deadline) throw new Error("The echo component did not come online");
    const { value, done } = await reader.read();
    if (done) throw new Error("The echo component exited");
    seen += value;
  }
  // Keep draining so the pipe never fills.
  void (async () => {
    while (!(await reader.read().catch(() => ({ done: true }))).done) { /* drain */ }
  })();
  return {
    pid: child.pid,
    async [Symbol.asyncDispose]() {
      try {
        child.kill("SIGTERM");
      } catch { /* exited */ }
      await child.status;
    },
  };
}
