/**
 * Many simulated users in one gateway process: what each costs in memory, how long a start takes
 * until every one is online, how a restart grows with the stored message mappings, and whether
 * all of them can chat at once without an error.
 *
 * One real Prosody with a client online for each user (PLAIN logins and quieter logs in this
 * bench's Prosody, so a thousand clients connect in seconds), one world file of `max(--users)`
 * Messenger accounts each with the echo friend, and the gateway process started again for each
 * measurement on the same store, to which users and then message mappings are added:
 *
 * - 0 users registered (the baseline), then each of `--users` (default 10,100,1000): RSS after a
 *   full collection once everyone is online, and the time from starting the process to the last
 *   client seeing the gateway's "Connected" presence;
 * - at the largest user count, `--messages` (default 1000,10000,100000) message mappings stored
 *   (spread over the users, as the gateway stores them): the same start to all-online, i.e. a
 *   restart;
 * - then every user sends `--chat` (default 3) messages to the echo friend at once; every echo must
 *   come back and nothing may bounce.
 *
 * Targets (TARGET lines): RSS growth per user at the largest count ≤ 1 MiB, start to all-online
 * ≤ 5 s, restart with the most mappings to all-online ≤ 2 s, no error while everyone chats.
 *
 *     deno run -A bench/many_users.ts [--users 10,100,1000] [--messages 1000,10000,100000] [--chat 3]
 *       [--profile] [--stagger-ms N]
 *
 * (`--stagger-ms` sets `gateway.login_stagger_ms`, which the simulated network does not apply
 * anyway; it lets an older gateway, which did, be measured too.)
 *
 * @module
 */

import { join } from "node:path";
import { parseArgs } from "node:util";
import { integers } from "./_args.ts";
import { client as xmppClient } from "@xmpp/client";
import { connectClient, type TestClient, xml } from "../tests/e2e/_harness/client.ts";
import { startProsody } from "../tests/e2e/_harness/prosody.ts";
import { parseCookies } from "../src/messenger/credentials.ts";
import { asMessageId, asThreadId } from "../src/messenger/ids.ts";
import { Secret } from "../src/secret.ts";
import { MessageIdStore } from "../src/store/message_ids.ts";
import { putUser } from "../src/store/user_records.ts";
import { WriteBatcher } from "../src/store/write_batcher.ts";
import { type CpuProfile, formatSummary, summarise } from "./_cpu_profile.ts";
import { cpuMs, type ProbeCounts, type ProbedGateway, startProbedGateway } from "./_paths.ts";
import { reportTarget } from "./_target.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    users: { type: "string" },
    messages: { type: "string" },
    chat: { type: "string" },
    profile: { type: "boolean" },
    "stagger-ms": { type: "string" },
  },
  strict: false,
});
const userCounts = integers(values.users, [10, 100, 1000]);
const messageCounts = integers(values.messages, [1000, 10_000, 100_000]);
const chatPerUser = Math.max(0, Math.min(Number(values.chat ?? 3) || 0, 100));
const maxUsers = userCounts.at(-1)!;

const MiB = 1024 * 1024;
const ECHO = "200001";
const accountId = (i: number) => String(1_000_000 + i);
const user = (i: number) => `u${i}`;

const world = Array.from({ length: maxUsers }, (_, i) =>
  `[[account]]
email = "${user(i)}@example.com"
password = "pw"
cookies = "c_user=${accountId(i)}; xs=abc"
user_id = "${accountId(i)}"
name = "User ${i}"
  [[account.friend]]
  id = "${ECHO}"
  name = "Echo Bot"
  echo = true
`).join("\n");

console.log(
  `many_users: ${userCounts.join(", ")} users, ${
    messageCounts.join(", ")
  } stored message mappings, ${chatPerUser} messages each at once`,
);

await using server = await startProsody({
  // A thousand logins in seconds: PLAIN over loopback instead of SCRAM's PBKDF2 (computed in
  // JavaScript by xmpp.js), and warnings only in the log.
  globalConfig: `authentication = "internal_plain"
allow_unencrypted_plain_auth = true
disable_sasl_mechanisms = { "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "DIGEST-MD5" }
log = { { levels = { min = "warn" }, to = "console" } }
`,
});
// xmpp.js offers PLAIN only on connections it believes secure; these are loopback ones in this
// process (the clients' @xmpp/connection, found through an unstarted client; not the gateway's).
for (
  let prototype = Object.getPrototypeOf(xmppClient({ service: "xmpp://127.0.0.1", domain: "x" }));
  prototype !== null;
  prototype = Object.getPrototypeOf(prototype)
) {
  if (Object.hasOwn(prototype, "isSecure")) {
    prototype.isSecure = () => true;
    break;
  }
}

// Accounts as Prosody's internal_plain storage keeps them: one file each (prosodyctl would start a
// Lua process per user).
const accounts = join(server.dir, "data", "localhost", "accounts");
await Deno.mkdir(accounts, { recursive: true });
for (let i = 0; i < maxUsers; i++) {
  await Deno.writeTextFile(
    join(accounts, `${user(i)}.dat`),
    'return {\n\t["password"] = "pw";\n};\n',
  );
}

const clients: TestClient[] = [];
const connectStart = performance.now();
for (let i = 0; i < maxUsers; i += 50) {
  const batch = await Promise.all(
    Array.from(
      { length: Math.min(50, maxUsers - i) },
      (_, j) => connectClient(server, user(i + j), "pw", { resource: "bench", timeoutMs: 30_000 }),
    ),
  );
  clients.push(...batch);
}
console.log(
  `  ${maxUsers} clients online in ${((performance.now() - connectStart) / 1000).toFixed(1)} s`,
);

const prosodyPid = Number((await Deno.readTextFile(join(server.dir, "prosody.pid"))).trim());
const storeDir = await Deno.makeTempDir({ prefix: "mg-bench-users-" });
const profileDir = values.profile ? await Deno.makeTempDir({ prefix: "mg-bench-profile-" }) : "";
const storePath = join(storeDir, "gateway.kv");
const gw = server.componentDomain;
const connected = (
  s: { is(name: string): boolean; attrs: Record<string, string | undefined> } & {
    getChildText(name: string): string | null;
  },
) => s.is("presence") && s.attrs.from === gw && /Connected as/.test(s.getChildText("status") ?? "");

interface Run {
  users: number;
  messages: number;
  /** Process start to every registered user's client seeing "Connected". */
  onlineMs: number;
  /** Of which until the component was online. */
  componentMs: number;
  rss: number;
  heapUsed: number;
  /** CPU time until all-online (ms): the gateway process, Prosody, this bench's clients. */
  cpu: { gateway: number; prosody: number; bench: number };
  /** What the gateway did from its start to all-online. */
  startup: ProbeCounts;
  /** The gateway's own figure: from its start of the logins to the last one done (syncs included). */
  loginsMs: number;
}

/** Starts the gateway on the store, waits until its users are online, measures, stops it. */
async function run(users: number, messages: number, chat = 0): Promise<Run & { chat?: Chat }> {
  for (const client of clients) client.clearPending();
  const prosodyBefore = await cpuMs(prosodyPid);
  const benchBefore = await cpuMs(Deno.pid);
  const start = performance.now();
  const gateway: ProbedGateway = await startProbedGateway(server, {
    world,
    // The production default (the harness logs at debug).
    config: {
      gateway: {
        data: storePath,
        ...(values["stagger-ms"] === undefined
          ? {}
          : { login_stagger_ms: Number(values["stagger-ms"]) }),
      },
      log: { level: "info" },
    },
    denoArgs: ["--v8-flags=--expose-gc"],
    onlineTimeoutMs: 60_000,
    ...(profileDir
      ? {
        profilePrefix: join(profileDir, `start-${users}-${messages}`),
        env: { MG_PROBE_PROFILE_START: "1" },
      }
      : {}),
  });
  try {
    const componentMs = performance.now() - start;
    await Promise.all(
      clients.slice(0, users).map((client) => client.waitFor(connected, 60_000, "Connected")),
    );
    const onlineMs = performance.now() - start;
    // The gateway's own account: every startup login (with its contact and room syncs) done.
    const done = users === 0 ? undefined : await gateway.process.waitForLog(
      /Startup logins done: \d+ of \d+ users connected after [\d.]+ s/,
      60_000,
    );
    const loginsMs = done ? Number(done.match(/after ([\d.]+) s/)![1]) * 1000 : 0;
    const cpu = {
      gateway: await cpuMs(gateway.process.pid),
      prosody: (await cpuMs(prosodyPid)) - prosodyBefore,
      bench: (await cpuMs(Deno.pid)) - benchBefore,
    };
    // What the start did, from the process's first line (the probe counts from its preload) to the
    // last login's end.
    const startup = await gateway.stop();
    if (startup.profile) {
      const profile = startup.profile;
      const summary = summarise(JSON.parse(await Deno.readTextFile(profile)) as CpuProfile, 15);
      console.log(`  profile of the start with ${users} users, ${messages} mappings (${profile}):`);
      for (const line of formatSummary(summary, "    ")) console.log(line);
    }
    // Settle (contact syncs, roster pushes), then read memory after a full collection.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await gateway.start();
    const { memory } = await gateway.stop();
    const result: Run & { chat?: Chat } = {
      users,
      messages,
      onlineMs,
      componentMs,
      rss: memory.rss,
      heapUsed: memory.heapUsed,
      cpu,
      startup: startup.counts,
      loginsMs,
    };
    if (chat > 0) result.chat = await chatAll(clients.slice(0, users), chat, gateway);
    return result;
  } finally {
    await gateway.process[Symbol.asyncDispose]();
  }
}

interface Chat {
  sent: number;
  echoed: number;
  errors: number;
  gatewayProblems: number;
  seconds: number;
}

/** Every client sends `each` messages to the echo friend at once; all echoes must come back. */
async function chatAll(
  chatting: TestClient[],
  each: number,
  gateway: ProbedGateway,
): Promise<Chat> {
  const mark = gateway.process.mark();
  const to = `${ECHO}@${gw}`;
  const start = performance.now();
  let echoed = 0;
  let errors = 0;
  await Promise.all(chatting.map(async (client, i) => {
    const waits: Promise<void>[] = [];
    for (let n = 0; n < each; n++) {
      const body = `chat ${i}.${n}`;
      waits.push(
        client.waitFor(
          (s) =>
            s.is("message") && s.attrs.from?.split("/")[0] === to &&
            s.getChildText("body") === body,
          120_000,
          `echo of ${body}`,
        ).then((reply) => {
          if (reply.attrs.type === "error") errors++;
          else echoed++;
        }),
      );
      await client.send(xml("message", { type: "chat", to, id: body }, xml("body", {}, body)));
    }
    await Promise.all(waits);
  }));
  const seconds = (performance.now() - start) / 1000;
  const gatewayProblems =
    gateway.process.lines().slice(mark).filter((line) => / (WARNING|ERROR|FATAL) /.test(line))
      .length;
  return { sent: chatting.length * each, echoed, errors, gatewayProblems, seconds };
}

/** Registers users [from, to) in the store, as registration leaves them. */
async function register(from: number, to: number): Promise<void> {
  const kv = await Deno.openKv(storePath);
  try {
    for (let i = from; i < to; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, to - i) }, (_, j) =>
          putUser(kv, {
            jid: `${user(i + j)}@localhost`,
            registeredAt: Date.now(),
            preferences: {},
            messengerSession: new Secret(
              JSON.stringify(parseCookies(`c_user=${accountId(i + j)}; xs=abc`)),
            ),
          })),
      );
    }
  } finally {
    kv.close();
  }
}

/** Stores message mappings [from, to), spread over `users` users, as the gateway stores them. */
async function storeMessages(from: number, to: number, users: number): Promise<void> {
  const kv = await Deno.openKv(storePath);
  const batcher = new WriteBatcher(kv);
  const ids = new MessageIdStore(kv, batcher);
  const base = Date.now() - to * 1000;
  try {
    for (let n = from; n < to; n++) {
      const jid = `${user(n % users)}@localhost`;
      const messengerId = asMessageId(`mid.$bench${n.toString(36).padStart(8, "0")}`);
      await ids.markSeen(jid, messengerId, base + n * 1000);
      ids.link(jid, { thread: asThreadId(ECHO), messengerId, xmppIds: [`bench-${n}`] });
    }
  } finally {
    await batcher.close();
    kv.close();
  }
}

const runs: Run[] = [];
let registered = 0;
runs.push(await run(0, 0));
for (const count of userCounts) {
  await register(registered, count);
  registered = count;
  runs.push(await run(count, 0));
}
let stored = 0;
let chat: Chat | undefined;
for (const [index, count] of messageCounts.entries()) {
  await storeMessages(stored, count, maxUsers);
  stored = count;
  const last = index === messageCounts.length - 1;
  const result = await run(maxUsers, count, last ? chatPerUser : 0);
  runs.push(result);
  if (result.chat) chat = result.chat;
}

for (const client of clients) await client.close();
await Deno.remove(storeDir, { recursive: true }).catch(() => {});

const baseline = runs[0];
const perUser = (r: Run) => r.users === 0 ? 0 : (r.rss - baseline.rss) / r.users / MiB;
const s = (ms: number) => (ms / 1000).toFixed(2);
console.log(
  "  users  mappings   RSS MiB  growth/user  heap MiB  component s  all online s  logins s  " +
    "CPU s: gateway, Prosody, clients",
);
for (const r of runs) {
  console.log(
    `  ${String(r.users).padStart(5)}  ${String(r.messages).padStart(8)}  ${
      (r.rss / MiB).toFixed(1).padStart(8)
    }  ${r.users === 0 ? "  (baseline)" : `${(perUser(r) * 1024).toFixed(0).padStart(7)} KiB`}  ${
      (r.heapUsed / MiB).toFixed(1).padStart(8)
    }  ${s(r.componentMs).padStart(11)}  ${s(r.onlineMs).padStart(12)}  ${
      s(r.loginsMs).padStart(8)
    }  ${s(r.cpu.gateway)}, ${s(r.cpu.prosody)}, ${s(r.cpu.bench)}`,
  );
}
for (const r of runs.filter((r) => r.users > 0)) {
  const per = (x: number) => (x / r.users).toFixed(1);
  console.log(
    `  start with ${r.users} users, ${r.messages} mappings, per user: ${
      per(r.startup.serialisations)
    } ` +
      `stanzas sent, ${per(r.startup.kvGets + r.startup.kvGetManys)} KV reads, ${
        per(r.startup.kvLists)
      } KV lists, ${per(r.startup.kvCommits)} KV commits, ${per(r.startup.stdioWrites)} log lines`,
  );
}
if (chat) {
  console.log(
    `  chat: ${chat.sent} messages from ${maxUsers} users at once, ${chat.echoed} echoed, ${chat.errors} ` +
      `errors, ${chat.gatewayProblems} gateway warnings/errors, ${chat.seconds.toFixed(1)} s (${
        Math.round(chat.echoed / chat.seconds)
      } round trips/s)`,
  );
}

const largest = runs.find((r) => r.users === maxUsers && r.messages === 0)!;
const mostMessages = runs.at(-1)!;
reportTarget(`RSS growth per user at ${maxUsers} users`, perUser(largest), "<=", 1, "MiB");
reportTarget(`start to all-online, ${maxUsers} users`, largest.onlineMs / 1000, "<=", 5, "s");
reportTarget(
  `restart with ${mostMessages.messages} message mappings to all-online, ${maxUsers} users`,
  mostMessages.onlineMs / 1000,
  "<=",
  2,
  "s",
);
if (chat) {
  reportTarget(
    `errors while ${maxUsers} users chat at once`,
    chat.errors + chat.gatewayProblems + (chat.sent - chat.echoed - chat.errors),
    "<=",
    0,
  );
}
