/**
 * Groups as rooms (issue 9 §3), through a real Prosody and the gateway process, each figure against
 * a baseline of the same run:
 *
 * - **fan-out**: `--n` messages (default 500) written in a 50-member Messenger group (injected
 *   through the simulated network's control API, as Messenger would deliver them) reach all 3
 *   resources of the user that joined the room; messages per second, as a ratio against the
 *   pipelined 1:1 bridged round trips per second (bench/message_path.ts's path, measured here
 *   before the other resources come online);
 * - **MAM**: the last page of 50 (`<set><max>50</max><before/></set>`) from a 10,000-message room
 *   archive (`--archive`, filled into the store before the gateway starts, as the gateway archives
 *   a room), median round trip over `--reps` (default 40) against the median round trip of a
 *   disco#info query to the same room (each in a block of its own).
 *
 * No bound is set for either (issue 11 asks for the figures): they are printed as INFO lines.
 * bench/mam_page.ts measures the same page at the store level, against one `kv.get`.
 *
 *     deno run -A bench/rooms.ts [--n 500] [--archive 10000] [--reps 40]
 *
 * @module
 */

import { join as joinPath } from "node:path";
import { parseArgs } from "node:util";
import { clampInt } from "./_args.ts";
import {
  connectClient,
  type TestClient,
  xml,
  type XmlElement,
} from "../tests/e2e/_harness/client.ts";
import { startProsody } from "../tests/e2e/_harness/prosody.ts";
import { aliceWorld, connectedPresence } from "../tests/e2e/_harness/registered_alice.ts";
import { seededKv } from "../tests/e2e/_harness/seeded_user.ts";
import { asMessageId, asThreadId, asUserId } from "../src/messenger/ids.ts";
import { RoomArchives } from "../src/store/room_archive.ts";
import { WriteBatcher } from "../src/store/write_batcher.ts";
import { type CpuProfile, formatSummary, summarise } from "./_cpu_profile.ts";
import { cpuMs, median, roundTrips, startProbedGateway } from "./_paths.ts";
import { reportFigure } from "./_target.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    n: { type: "string" },
    archive: { type: "string" },
    reps: { type: "string" },
    profile: { type: "boolean" },
  },
  strict: false,
});
const n = clampInt(values.n, 500, 20, 5000);
const archived = clampInt(values.archive, 10_000, 100, 200_000);
const reps = clampInt(values.reps, 40, 5, 1000);

const NS_MUC = "http://jabber.org/protocol/muc";
const NS_MAM = "urn:xmpp:mam:2";
const NS_RSM = "http://jabber.org/protocol/rsm";
const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
const GROUP = "900001";
const MEMBERS = Array.from({ length: 49 }, (_, i) => String(300_001 + i));
const RESOURCES = 3;

/** Alice's world (Echo Bot, Bob) with the group and its 49 other members. */
const WORLD = aliceWorld(`
[[account.group]]
id = "${GROUP}"
name = "Bench room"
members = [${MEMBERS.map((id) => `"${id}"`).join(", ")}]

${MEMBERS.map((id, i) => `[[user]]\nid = "${id}"\nname = "Member ${i + 1}"\n`).join("\n")}`);

console.log(
  `rooms: ${n} messages in a ${MEMBERS.length + 1}-member room to ${RESOURCES} resources; ` +
    `MAM pages of 50 from ${archived} archived messages, ${reps} repetitions`,
);

await using server = await startProsody();
await server.register("alice", "alicepw");
await using kv = await seededKv();
const fillMs = await fillArchive(kv.path);
console.log(`  archive of ${archived} messages stored in ${(fillMs / 1000).toFixed(1)} s`);

const profileDir = values.profile ? await Deno.makeTempDir({ prefix: "mg-bench-profile-" }) : "";
const gateway = await startProbedGateway(server, {
  ...(profileDir ? { profilePrefix: joinPath(profileDir, "rooms") } : {}),
  world: WORLD,
  config: {
    gateway: { data: kv.path },
    simulated: { control: "127.0.0.1:0" },
    log: { level: "info" },
  },
});
await using _gateway = gateway.process;
const control = await gateway.process.controlUrl();
const gw = server.componentDomain;
const room = `${GROUP}@${gw}`;

const first = await connectClient(server, "alice", "alicepw", { resource: "r1" });
const clients: TestClient[] = [first];
try {
  await connectedPresence(first, gw);

  // The 1:1 bridged path of this run, while one resource is online (as in message_path).
  const echo = `200001@${gw}`;
  await roundTrips(first, echo, Math.min(n, 200), "warm");
  const direct = await roundTrips(first, echo, n, "direct");
  first.clearPending();

  for (let i = 2; i <= RESOURCES; i++) {
    clients.push(await connectClient(server, "alice", "alicepw", { resource: `r${i}` }));
  }
  await Promise.all(clients.map(join));

  // Fan-out: one burst of messages from the members, as Messenger delivers them.
  const burst = Array.from({ length: n }, (_, i) => ({
    type: "message",
    actor: MEMBERS[i % MEMBERS.length],
    thread: GROUP,
    text: `g-${i}`,
  }));
  await inject(burst.slice(0, 20).map((event) => ({ ...event, text: `warm-${event.text}` })));
  await Promise.all(clients.map((client) => received(client, "warm-g-19")));
  await gateway.start();
  const fanOutCpuBefore = await cpuMs(gateway.process.pid);
  const start = performance.now();
  const arrivals = clients.map((client) => received(client, `g-${n - 1}`));
  await inject(burst);
  await Promise.all(arrivals);
  const fanOutSeconds = (performance.now() - start) / 1000;
  const fanOutCpu = (await cpuMs(gateway.process.pid)) - fanOutCpuBefore;
  const fanOut = await gateway.stop();
  for (const client of clients) {
    const got = client.pending().filter((s) => /^g-\d+$/.test(s.getChildText("body") ?? "")).length;
    // The last one is consumed by the wait: every resource got all of them, once.
    if (got !== n - 1) throw new Error(`${client.jid} got ${got + 1} of ${n} room messages`);
    client.clearPending();
  }
  const perSecond = n / fanOutSeconds;

  // MAM against disco#info, after a warm-up.
  const mamTimes: number[] = [];
  const discoTimes: number[] = [];
  for (let i = 0; i < 5; i++) {
    await mamPage(first);
    await discoInfo(first);
  }
  await gateway.start();
  const prosodyPid = Number((await Deno.readTextFile(joinPath(server.dir, "prosody.pid"))).trim());
  const cpuBefore = [
    await cpuMs(gateway.process.pid),
    await cpuMs(prosodyPid),
    await cpuMs(Deno.pid),
  ];
  const loopStart = performance.now();
  // In two blocks, not alternated: an answer written while the previous one is still
  // unacknowledged waits for Prosody's delayed ACK (see bench/README.md), which alternating would
  // pin on whichever query comes second.
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await discoInfo(first);
    discoTimes.push(performance.now() - t);
  }
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await mamPage(first);
    mamTimes.push(performance.now() - t);
  }
  const loopMs = performance.now() - loopStart;
  const cpuAfter = [
    await cpuMs(gateway.process.pid),
    await cpuMs(prosodyPid),
    await cpuMs(Deno.pid),
  ];
  console.log(
    `  MAM phase: ${loopMs.toFixed(0)} ms; CPU ms gateway ${cpuAfter[0] - cpuBefore[0]}, Prosody ${
      cpuAfter[1] - cpuBefore[1]
    }, bench ${cpuAfter[2] - cpuBefore[2]}`,
  );
  const mam = median(mamTimes);
  const disco = median(discoTimes);
  const mamPhase = await gateway.stop();
  console.log(
    `  inside the gateway, iq arrival to answer: p50 ${mamPhase.iqInside.p50.toFixed(2)} ms, p99 ${
      mamPhase.iqInside.p99.toFixed(2)
    } ms (${mamPhase.iqInside.count} iqs)`,
  );
  for (const [phase, file] of [["fan-out", fanOut.profile], ["MAM", mamPhase.profile]]) {
    if (!file) continue;
    console.log(`  CPU profile of the ${phase} phase (${file}):`);
    const profile = JSON.parse(await Deno.readTextFile(file)) as CpuProfile;
    for (const line of formatSummary(summarise(profile, 12), "    ")) console.log(line);
  }

  console.log(
    `  1:1 bridged, pipelined: ${direct.perSecond.toFixed(0)} round trips/s`,
  );
  console.log(
    `  room fan-out: ${n} messages to ${RESOURCES} resources in ${fanOutSeconds.toFixed(2)} s, ` +
      `${perSecond.toFixed(0)} messages/s (${(perSecond * RESOURCES).toFixed(0)} stanzas/s), ` +
      `gateway CPU ${(fanOutCpu / n).toFixed(2)} ms per message; ` +
      `per message in the gateway: ${(fanOut.counts.serialisations / n).toFixed(2)} stanzas, ` +
      `${(fanOut.counts.kvCommits / n).toFixed(3)} KV commits, ${
        ((fanOut.counts.kvGets + fanOut.counts.kvGetManys) / n).toFixed(2)
      } KV reads, ${(fanOut.counts.kvLists / n).toFixed(2)} KV lists`,
  );
  console.log(
    `  MAM last page of 50 of ${archived}: median ${mam.toFixed(2)} ms; disco#info: median ${
      disco.toFixed(2)
    } ms`,
  );
  reportFigure(
    "room message to 3 resources, throughput / 1:1 bridged throughput",
    perSecond / direct.perSecond,
  );
  reportFigure(`MAM page of 50 from ${archived} / disco#info round trip`, mam / disco);
} finally {
  for (const client of clients) await client.close();
}

/** Fills the user's archive of the room in the store, as the gateway archives messages. */
async function fillArchive(path: string): Promise<number> {
  const store = await Deno.openKv(path);
  const batcher = new WriteBatcher(store);
  const start = performance.now();
  try {
    const archive = new RoomArchives(store, batcher).forRoom("alice@localhost", asThreadId(GROUP));
    const now = Date.now();
    for (let i = 0; i < archived; i++) {
      const actor = MEMBERS[i % MEMBERS.length];
      await archive.append({
        id: asMessageId(`mid.$archived${i.toString(36).padStart(6, "0")}`),
        timestamp: now - (archived - i) * 60_000,
        actor: asUserId(actor),
        nick: `Member ${(i % MEMBERS.length) + 1}`,
        fromSelf: false,
        text: `Archived message number ${i}, about as long as a short chat message.`,
        attachments: [],
      });
    }
    // Messenger's history was fetched already: the first join fetches nothing.
    await archive.markBackfilled();
  } finally {
    await batcher.close();
    store.close();
  }
  return performance.now() - start;
}

async function inject(events: unknown[]): Promise<void> {
  const response = await fetch(`${control}/accounts/100001/events`, {
    method: "POST",
    body: JSON.stringify(events),
  });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`Injection refused: ${body}`);
}

/** Joins the room without history and waits for the subject (the end of the join). */
async function join(client: TestClient): Promise<void> {
  await client.send(
    xml(
      "presence",
      { to: `${room}/Alice Example` },
      xml("x", { xmlns: NS_MUC }, xml("history", { maxstanzas: "0" })),
    ),
  );
  await client.waitFor(
    (s) => s.is("message") && s.attrs.from?.split("/")[0] === room && !!s.getChild("subject"),
    20_000,
    "the room's subject",
  );
  client.clearPending();
}

function received(client: TestClient, body: string): Promise<XmlElement> {
  return client.waitFor(
    (s) =>
      s.is("message") && s.attrs.type === "groupchat" && s.attrs.from?.split("/")[0] === room &&
      s.getChildText("body") === body,
    120_000,
    `room message ${body}`,
  );
}

/** The last page of 50, checked; its 50 results are dropped from the buffer. */
async function mamPage(client: TestClient): Promise<void> {
  const reply = await client.iq(
    xml(
      "iq",
      { type: "set", to: room },
      xml(
        "query",
        { xmlns: NS_MAM, queryid: "bench" },
        xml("set", { xmlns: NS_RSM }, xml("max", {}, "50"), xml("before")),
      ),
    ),
    20_000,
  );
  const count = reply.getChild("fin", NS_MAM)?.getChild("set", NS_RSM)?.getChildText("count");
  const results = client.pending().filter((s) => s.getChild("result", NS_MAM)).length;
  client.clearPending();
  if (reply.attrs.type !== "result" || results !== 50 || Number(count) < archived) {
    throw new Error(`Unexpected MAM page: ${results} results, count ${count}: ${reply}`);
  }
}

async function discoInfo(client: TestClient): Promise<void> {
  const reply = await client.iq(
    xml("iq", { type: "get", to: room }, xml("query", { xmlns: NS_DISCO_INFO })),
    20_000,
  );
  if (reply.attrs.type !== "result") throw new Error(`disco#info failed: ${reply}`);
}
