/**
 * One user's Messenger session in trouble affects that user only (issue 12's suite), through a
 * real Prosody: while three users chat with Echo Bot all along, the first user's session hangs
 * (a send never answered: they get an error for that message), stalls silently (no event reaches
 * it: the content watchdog finds what Bob wrote and delivers it) and is logged out by Messenger
 * (they are told by the gateway's presence). The others lose nothing, get nothing twice, and
 * hear nothing about it. The fca Worker crash, which only the real adapter has, runs in a child
 * test (see _worker_crash_e2e_cases.ts).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { TestClient, XmlElement } from "./_harness/client.ts";
import { chat } from "./_harness/registered_alice.ts";
import { registeredUsers, type TestUser } from "./_harness/registered_users.ts";
import { soak } from "./_harness/soak.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const USERS = soak ? 10 : 4;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A user chatting with Echo Bot every `paceMs` until `stop()`; counts what came back. */
function chatter(user: TestUser, echo: string, paceMs: number) {
  let running = true;
  const sent: string[] = [];
  const done = (async () => {
    for (let n = 1; running; n++) {
      const body = `u${user.index} says ${n}`;
      sent.push(body);
      await user.client.send(chat(echo, `c-${n}`, body));
      await sleep(paceMs);
    }
  })();
  return {
    sent,
    async stop(): Promise<{ sent: number; delivered: number; lost: number; duplicated: number }> {
      running = false;
      await done;
      const echoed = (s: XmlElement) =>
        s.is("message") && s.attrs.from?.split("/")[0] === echo &&
        (s.getChildText("body")?.startsWith(`u${user.index} says `) ?? false);
      const last = sent.at(-1)!;
      const deadline = Date.now() + 30_000;
      while (
        Date.now() < deadline &&
        !user.client.pending().some((s) => echoed(s) && s.getChildText("body") === last)
      ) await sleep(50);
      const bodies = user.client.pending().filter(echoed).map((s) => s.getChildText("body")!);
      const distinct = new Set(bodies);
      return {
        sent: sent.length,
        delivered: distinct.size,
        lost: sent.filter((body) => !distinct.has(body)).length,
        duplicated: bodies.length - distinct.size,
      };
    },
  };
}

/** The gateway's presences to a user after the setup that say anything but "Connected as". */
function gatewayTrouble(client: TestClient, gw: string): string[] {
  return client.pending().filter((s) =>
    s.is("presence") && s.attrs.from === gw &&
    (s.attrs.type !== undefined || !/^Connected as/.test(s.getChildText("status") ?? ""))
  ).map((s) => `${s.attrs.type ?? "available"}: ${s.getChildText("status") ?? ""}`);
}

Deno.test({
  name: "a hanging, silent or logged-out Messenger session affects its own user only",
  ...e2e,
  async fn() {
    await using t = await registeredUsers(USERS, {
      config: { messenger: { watchdog_interval: 1 } },
    });
    const { gw, echo, bob } = t;
    const [victim, ...others] = t.users;
    for (const user of t.users) user.client.clearPending();
    const chatters = others.map((user) => chatter(user, echo, 100));

    // 1. A send that Messenger never answers: that message gets an error, after the timeout.
    await victim.control.faults({ kind: "hang", method: "sendMessage" });
    await victim.client.send(chat(bob, "hung-1", "are you there?"));
    const hung = await victim.client.waitFor(
      (s) => s.is("message") && s.attrs.id === "hung-1" && s.attrs.type === "error",
      30_000,
      "the error for the message Messenger never answered",
    );

    // 2. Connected but silent: Bob's messages are found by the content check and delivered.
    await victim.control.faults({ kind: "silent" });
    await victim.control.inject({ type: "message", sender: "200002", text: "while silent 1" });
    await victim.control.inject({ type: "message", sender: "200002", text: "while silent 2" });
    for (const text of ["while silent 1", "while silent 2"]) {
      await victim.client.waitFor(
        (s) =>
          s.is("message") && s.attrs.from?.split("/")[0] === bob && s.getChildText("body") === text,
        30_000,
        `"${text}" found by the content check`,
      );
    }

    // 3. Logged out by Messenger: the user is told by the gateway's presence.
    await victim.control.faults({ kind: "expire_session" });
    const told = await victim.client.waitFor(
      (s) =>
        s.is("presence") && s.attrs.from === gw &&
        /expired|log in/i.test(s.getChildText("status") ?? ""),
      20_000,
      "the gateway's presence saying the session ended",
    );

    const counts = await Promise.all(chatters.map((c) => c.stop()));
    const total = counts.reduce(
      (sum, c) => ({
        sent: sum.sent + c.sent,
        delivered: sum.delivered + c.delivered,
        lost: sum.lost + c.lost,
        duplicated: sum.duplicated + c.duplicated,
      }),
      { sent: 0, delivered: 0, lost: 0, duplicated: 0 },
    );
    const othersTold = others.flatMap((user) => gatewayTrouble(user.client, gw));
    const hungError = hung.getChild("error");
    console.log(
      `one session in trouble (hang, silent, logged out) among ${USERS}: the others sent ` +
        `${total.sent}, delivered ${total.delivered}, lost ${total.lost}, duplicated ` +
        `${total.duplicated}, told of trouble ${othersTold.length}; the user in trouble: the hung ` +
        `message refused with ${hungError?.getChildElements()[0]?.name}, 2 of 2 messages ` +
        `recovered from the silent session, told "${told.getChildText("status")}"`,
    );
    assert.equal(total.lost, 0);
    assert.equal(total.duplicated, 0);
    assert.ok(total.sent >= others.length * 20, `the others chatted too little: ${total.sent}`);
    assert.deepEqual(othersTold, [], "another user was told about the trouble");
    assert.match(hungError?.getChildText("text") ?? "", /.+/);
    assert.match(told.getChildText("status") ?? "", /expired|log in|re-login/i);
  },
});

const CRASH_CASES = fileURLToPath(new URL("./_worker_crash_e2e_cases.ts", import.meta.url));

Deno.test({
  name: "an fca Worker crash affects its own user only (cases run in a child deno test)",
  ...e2e,
  async fn() {
    const out = await new Deno.Command(Deno.execPath(), {
      // Type-checked with the rest by `deno task check`.
      args: ["test", "--allow-all", "--no-check", CRASH_CASES],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(150_000),
    }).output();
    const decoder = new TextDecoder();
    const output = `${decoder.decode(out.stdout)}\n${decoder.decode(out.stderr)}`;
    assert.equal(out.code, 0, output);
    assert.match(output, /ok \| 1 passed \| 0 failed/, output);
    const crashes = output.match(/Uncaught \(in worker "fca-accounts?"\) Error: Deliberate crash/g);
    assert.equal(crashes?.length, 1, `the Worker crashed once:\n${output}`);
    console.log(output.split("\n").find((line) => line.startsWith("fca Worker crash:")));
  },
});
