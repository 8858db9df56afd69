/**
 * `deno task demo`, run exactly as the README says: its own Prosody and gateway, the scripted
 * transcript, the connection box, and an independent client (slixmpp) that logs in with the
 * printed account and chats with the echo friend; the box's curl example makes a friend write.
 * Ctrl-C/SIGTERM and `--exit` leave no process, no port and no temp folder behind.
 */
import assert from "node:assert/strict";
import { type CapturedProcess, spawnCaptured } from "../../dev/captured_process.ts";
import { REPO_ROOT } from "../../dev/paths.ts";
import { slixmppChat } from "./_harness/slixmpp.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** What the box tells the user. */
interface Box {
  port: number;
  account: string;
  password: string;
  /** The control API URL the curl example posts to, and its body. */
  curlUrl: string;
  curlBody: string;
}

/** Runs `deno task demo ARGS` with its temp folders under a folder of the test's own. */
async function demo(args: string[]): Promise<{ run: CapturedProcess; tmp: string }> {
  const tmp = await Deno.makeTempDir({ prefix: "demo-test-" });
  const env = { ...Deno.env.toObject(), TMPDIR: tmp, NO_COLOR: "1" };
  const run = spawnCaptured(Deno.execPath(), ["task", "demo", ...args], {
    cwd: REPO_ROOT,
    env,
    name: "demo",
  });
  return { run, tmp };
}

function parseBox(output: string): Box {
  const field = (re: RegExp) => {
    const match = output.match(re);
    assert.ok(match, `${re} not in the demo's output:\n${output}`);
    return match[1];
  };
  return {
    port: Number(field(/^│\s+server\s+127\.0\.0\.1, port (\d+)/m)),
    account: field(/^│\s+account\s+(\S+@\S+)/m),
    password: field(/^│\s+password\s+(\S+)/m),
    curlBody: field(/curl -d '([^']+)'/),
    curlUrl: field(/^│\s+(http:\/\/127\.0\.0\.1:\d+\/accounts\/\d+\/events)/m),
  };
}

/** Whether something accepts connections on the loopback port. */
async function listening(port: number): Promise<boolean> {
  try {
    (await Deno.connect({ hostname: "127.0.0.1", port })).close();
    return true;
  } catch {
    return false;
  }
}

/** Files the run left in its temp folder (none expected). */
async function leftovers(tmp: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(tmp)) names.push(entry.name);
  return names;
}

/** `git status` lines (untracked included), to show the demo wrote nothing outside .state/. */
async function gitStatus(): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["status", "--porcelain", "--untracked-files=all"],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "deno task demo: a client logs in with the printed account and chats with the echo " +
    "friend; the curl example makes a friend write; SIGTERM stops everything",
  ...e2e,
  async fn() {
    const before = await gitStatus();
    const { run, tmp } = await demo(["--no-client"]);
    try {
      await run.waitForLog(/Ctrl-C stops everything/, 90_000);
      const output = run.output();
      assert.doesNotMatch(output, /Initialize|Download|Transcript/, output);
      assert.match(output, /^Starting the XMPP server \(Prosody\)… \d+\.\d s$/m);
      assert.match(output, /^Ready in \d+\.\d s\.$/m);
      const box = parseBox(output);
      assert.equal(box.account, "demo@localhost");

      const echo = "200001@facebook.localhost";
      const bob = "200002@facebook.localhost";
      const [answer, fromBob] = await slixmppChat(
        { domain: "localhost", c2sPort: box.port },
        "demo",
        box.password,
        [
          { send: { to: echo, body: "Hello from slixmpp" } },
          { expect: { from: echo, body: "Hello from slixmpp" } },
          { post: { url: box.curlUrl, body: box.curlBody } },
          { expect: { from: bob, body: JSON.parse(box.curlBody).text } },
        ],
        { timeoutMs: 20_000 },
      );
      assert.equal(answer.attrs.type, "chat");
      assert.equal(fromBob.getChildText("body"), "Hi from Bob!");

      assert.equal(await run.stop("SIGTERM"), 0, run.output());
      assert.match(run.output(), /Stopping the gateway and the XMPP server…/);
      assert.equal(await listening(box.port), false, "Prosody still listens");
      assert.equal(await listening(Number(new URL(box.curlUrl).port)), false, "the gateway too");
      assert.deepEqual(await leftovers(tmp), []);
      assert.equal(
        await gitStatus(),
        before,
        "the demo wrote outside .state/ and its temp folders",
      );
    } finally {
      await run.stop("SIGKILL").catch(() => {});
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "deno task demo --exit plays the transcript, prints the box and cleans up",
  ...e2e,
  async fn() {
    const { run, tmp } = await demo(["--exit"]);
    try {
      const { code } = await run.exited;
      const output = run.output();
      assert.equal(code, 0, output);
      for (
        const line of [
          /^ {2}you → Echo Bot: (.+)\n {2}Echo Bot → you: \1$/m,
          /^ {2}you react 👍 to “.+”\n {2}Echo Bot reacts 👍 to it too$/m,
          /^ {2}Bob Builder → you, replying to “Hiking on Saturday\?”: Sure, I'll bring the map!$/m,
          /^ {2}Bob Builder → you: a photo, http:\/\/127\.0\.0\.1:\d+\/\S+\/trail\.png$/m,
          /^ {2}you join the group chat “Hiking club” \(900001@[^)]+\)\n {2}Bob Builder in “Hiking club”: Who brings the sandwiches\?\n {2}you in “Hiking club”: I do!\n {2}Echo Bot in “Hiking club”: I do!$/m,
        ]
      ) {
        assert.match(output, line);
      }
      const box = parseBox(output);
      assert.equal(box.account, "demo@localhost");
      assert.match(output, /--exit: everything stops now/);
      assert.equal(await listening(box.port), false, "Prosody still listens");
      assert.deepEqual(await leftovers(tmp), []);
    } finally {
      await run.stop("SIGKILL").catch(() => {});
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
