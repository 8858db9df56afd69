/**
 * One user floods the gateway while another chats (issue 12, fault 5): shared by the suite's
 * flood test (which asserts what must hold: nothing of the other user lost, every refused message
 * answered with an error) and `bench/fairness.ts` (which reports the figure: the other user's
 * echo p50 during the flood against their quiet p50 of the same run).
 *
 * The flooder runs in a process of its own (`flooder.ts`), so that its client's work does not
 * slow the measuring client. The other user chats at a human-fast pace (a message every
 * `paceMs`, below the gateway's rate limit), the same before and during the flood.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { type CapturedProcess, spawnCaptured } from "../../../dev/captured_process.ts";
import type { TestClient } from "./client.ts";
import { chat } from "./registered_alice.ts";
import type { RegisteredUsers, TestUser } from "./registered_users.ts";

const FLOODER = fileURLToPath(new URL("./flooder.ts", import.meta.url));

/** What a flood did, counted. */
export interface FloodResult {
  /** Messages the flooder wrote. */
  sent: number;
  /** Of those, how many came back from Echo Bot (so went through Messenger), counted once. */
  delivered: number;
  /** Of those, how many were answered with an error (and not delivered). */
  refused: number;
  /** Neither delivered nor refused. */
  lost: number;
  /** Extra outcomes: echoed twice, or echoed and refused. */
  duplicated: number;
  /** The error replies' `condition: text`, with how often each came. */
  errors: Map<string, number>;
  /** How long writing the flood took the flooder's client (ms). */
  floodWriteMs: number;
  /** The other user's round trips before the flood. */
  quietP50: number;
  quietSamples: number;
  /** The other user's round trips started while the flood was being processed. */
  floodP50: number;
  floodMax: number;
  floodSamples: number;
  /** The other user's messages sent, and those that never came back (30 s each at most). */
  otherSent: number;
  otherLost: number;
  /** Gateway warning lines written from the start of the flood until it was processed. */
  warningLines: string[];
  /** floodP50 / quietP50. */
  ratio: number;
}

/** Options of {@link floodAndMeasure}. */
export interface FloodOptions {
  /** Messages the flooder sends; default 5,000. */
  flood?: number;
  /** The other user's round trips before the flood; default 40. */
  quietRounds?: number;
  /** The other user's pace: one message every this many ms (default 100). */
  paceMs?: number;
  /** Bound on the wait for every flood message's outcome (ms); default 120 s. */
  settleMs?: number;
  /** Whom the flood is addressed to; default Echo Bot. */
  target?: string;
}

function median(values: number[]): number {
  const sorted = values.toSorted((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

/** One echo round trip through Echo Bot: the time in ms, or undefined if it never came back. */
async function roundTrip(
  client: TestClient,
  echo: string,
  body: string,
): Promise<number | undefined> {
  const start = performance.now();
  await client.send(chat(echo, body, body));
  try {
    await client.waitFor(
      (s) =>
        s.is("message") && s.attrs.from?.split("/")[0] === echo &&
        s.getChildText("body") === body,
      30_000,
      `the echo of ${body}`,
    );
  } catch {
    return undefined;
  }
  return performance.now() - start;
}

/** Round trips every `paceMs` until `more()` says stop (checked before each). */
async function chatAtPace(
  client: TestClient,
  echo: string,
  tag: string,
  paceMs: number,
  more: (done: number) => boolean,
): Promise<{ times: number[]; lost: number }> {
  const times: number[] = [];
  let lost = 0;
  for (let n = 0; more(n); n++) {
    const started = performance.now();
    const ms = await roundTrip(client, echo, `${tag}-${n}`);
    if (ms === undefined) lost++;
    else times.push(ms);
    const rest = paceMs - (performance.now() - started);
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
  }
  return { times, lost };
}

/** Starts the flooder process as user `flooder` of `t`. */
function startFlooder(
  t: RegisteredUsers,
  flooder: TestUser,
  target: string,
  count: number,
  settleMs: number,
): CapturedProcess {
  return spawnCaptured(Deno.execPath(), [
    "run",
    "--allow-all",
    FLOODER,
    "--port",
    String(t.server.c2sPort),
    "--user",
    flooder.jid.split("@")[0],
    "--password",
    flooder.password,
    "--to",
    target,
    "--count",
    String(count),
    "--settle-ms",
    String(settleMs),
  ], { env: { ...Deno.env.toObject(), NO_COLOR: "1" }, name: "flooder" });
}

/**
 * User 1 of `t` floods Echo Bot from its own process; user 2 chats with Echo Bot before (quiet)
 * and during the flood. Returns the counts and the figures; asserts nothing.
 */
export async function floodAndMeasure(
  t: RegisteredUsers,
  options: FloodOptions = {},
): Promise<FloodResult> {
  const flood = options.flood ?? 5000;
  const paceMs = options.paceMs ?? 100;
  const settleMs = options.settleMs ?? 120_000;
  const [flooder, other] = t.users as [TestUser, TestUser];
  const { echo, gateway } = t;
  await chatAtPace(other.client, echo, "warm", paceMs, (n) => n < 10);
  const quietRounds = options.quietRounds ?? 40;
  const quiet = await chatAtPace(other.client, echo, "quiet", paceMs, (n) => n < quietRounds);

  // The flooder logs in first; the flood starts with its first write.
  flooder.client.clearPending();
  const child = startFlooder(t, flooder, options.target ?? echo, flood, settleMs);
  let over = false;
  let mark = 0;
  try {
    await child.waitForLog(/^flooding$/, 30_000);
  } finally {
    mark = gateway.mark();
  }
  const during = chatAtPace(other.client, echo, "during", paceMs, () => !over);
  let floodWriteMs = NaN;
  try {
    const written = await child.waitForLog(/^written /, settleMs);
    floodWriteMs = Number(written.split(" ")[1]);
    await child.waitForLog(/^(settled|gave up)$/, settleMs);
  } finally {
    over = true;
  }
  const warningLines = gateway.lines().slice(mark).filter((line) => / WARNING /.test(line));
  const duringResult = await during;
  await child.exited;
  const line = child.lines().find((l) => l.startsWith('{"outcomes"'));
  if (!line) throw new Error(`The flooder printed no outcome:\n${child.output()}`);
  const outcomes: Record<string, { echoed: number; errors: string[] }> = JSON.parse(line).outcomes;

  let delivered = 0, refused = 0, duplicated = 0;
  const errors = new Map<string, number>();
  for (const { echoed, errors: replies } of Object.values(outcomes)) {
    if (echoed > 0) delivered++;
    else if (replies.length > 0) refused++;
    duplicated += echoed + replies.length - 1;
    for (const error of replies) errors.set(error, (errors.get(error) ?? 0) + 1);
  }
  const quietP50 = median(quiet.times);
  const floodP50 = median(duringResult.times);
  return {
    sent: flood,
    delivered,
    refused,
    lost: flood - delivered - refused,
    duplicated,
    errors,
    floodWriteMs,
    quietP50,
    quietSamples: quiet.times.length,
    floodP50,
    floodMax: Math.max(...duringResult.times),
    floodSamples: duringResult.times.length,
    otherSent: quiet.times.length + quiet.lost + duringResult.times.length + duringResult.lost,
    otherLost: quiet.lost + duringResult.lost,
    warningLines,
    ratio: floodP50 / quietP50,
  };
}
