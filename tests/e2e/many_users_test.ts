/**
 * Many users chatting at once (issue 12's suite), through a real Prosody: every user writes to
 * Echo Bot (which answers each) while Bob writes to every user on Messenger, all at the same
 * time, in rounds. Per user and direction: sent, delivered, lost, duplicated, and the order kept.
 * The gateway's memory (RSS) is read after each round: what the rounds leave behind must not
 * grow with them. `SOAK=1`: 30 users and 10 rounds instead of 6 and 2.
 */
import assert from "node:assert/strict";
import type { XmlElement } from "./_harness/client.ts";
import { chat } from "./_harness/registered_alice.ts";
import { registeredUsers, type TestUser } from "./_harness/registered_users.ts";
import { soak } from "./_harness/soak.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const USERS = soak ? 30 : 6;
const ROUNDS = soak ? 10 : 2;
const PER_ROUND = 25;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The gateway process's resident memory, in MiB (Linux). */
async function rssMiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

interface Flow {
  sent: string[];
  received: () => XmlElement[];
}

function tally(flows: Flow[]) {
  let sent = 0, delivered = 0, lost = 0, duplicated = 0, outOfOrder = 0;
  for (const flow of flows) {
    const bodies = flow.received().map((s) => s.getChildText("body")!);
    const distinct = [...new Set(bodies)];
    sent += flow.sent.length;
    delivered += distinct.length;
    lost += flow.sent.filter((body) => !distinct.includes(body)).length;
    duplicated += bodies.length - distinct.length;
    const positions = distinct.map((body) => flow.sent.indexOf(body));
    if (positions.some((p, i) => i > 0 && p < positions[i - 1])) outOfOrder++;
  }
  return { sent, delivered, lost, duplicated, outOfOrder };
}

Deno.test({
  name: `${USERS} users chatting at once: per-conversation order kept, nothing lost, memory flat`,
  ...e2e,
  async fn() {
    await using t = await registeredUsers(USERS, { config: { log: { level: "info" } } });
    const { echo, bob, gateway } = t;
    for (const user of t.users) user.client.clearPending();
    const from = (user: TestUser, jid: string, prefix: string) => () =>
      user.client.pending().filter((s) =>
        s.is("message") && s.attrs.type !== "error" && s.attrs.from?.split("/")[0] === jid &&
        (s.getChildText("body")?.startsWith(prefix) ?? false)
      );
    const flows: Flow[] = [];
    const toEcho = t.users.map((user) => {
      const flow = { sent: [] as string[], received: from(user, echo, `u${user.index}: `) };
      flows.push(flow);
      return flow;
    });
    const fromBob = t.users.map((user) => {
      const flow = { sent: [] as string[], received: from(user, bob, `bob to u${user.index}: `) };
      flows.push(flow);
      return flow;
    });

    const rss: number[] = [await rssMiB(gateway.pid)];
    for (let round = 0; round < ROUNDS; round++) {
      await Promise.all(t.users.map(async (user, u) => {
        for (let i = 0; i < PER_ROUND; i++) {
          const n = round * PER_ROUND + i + 1;
          const text = `u${user.index}: ${n}`;
          toEcho[u].sent.push(text);
          await user.client.send(chat(echo, `m-${n}`, text));
          const fromBobText = `bob to u${user.index}: ${n}`;
          fromBob[u].sent.push(fromBobText);
          await user.control.inject({ type: "message", sender: "200002", text: fromBobText });
          await sleep(20);
        }
      }));
      const deadline = Date.now() + 60_000;
      while (
        Date.now() < deadline &&
        flows.some((flow) =>
          new Set(flow.received().map((s) => s.getChildText("body"))).size <
            flow.sent.length
        )
      ) await sleep(100);
      rss.push(await rssMiB(gateway.pid));
    }

    const counts = tally(flows);
    const growth = rss.at(-1)! - rss[1];
    console.log(
      `${USERS} users, ${ROUNDS} rounds: sent ${counts.sent}, delivered ${counts.delivered}, ` +
        `lost ${counts.lost}, duplicated ${counts.duplicated}, conversations out of order ` +
        `${counts.outOfOrder} of ${flows.length}; gateway RSS ${
          rss.map((mib) => mib.toFixed(0)).join(" → ")
        } MiB (after the first round to the last: ${growth >= 0 ? "+" : ""}${growth.toFixed(1)})`,
    );
    assert.equal(counts.lost, 0);
    assert.equal(counts.duplicated, 0);
    assert.equal(counts.outOfOrder, 0);
    // Memory: what a round leaves behind must not pile up (a leak of one message's worth per
    // message would be megabytes here); the bound is loose, for the allocator's moods.
    assert.ok(growth < 64 * (ROUNDS - 1) / 9 + 32, `RSS grew ${growth.toFixed(1)} MiB`);
  },
});
