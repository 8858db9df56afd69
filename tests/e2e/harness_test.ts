/**
 * Proves the e2e harness itself works against a real Prosody, before any gateway test relies on it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { component } from "@xmpp/component";
import { connectClient, xml, type XmlElement } from "./_harness/client.ts";
import { mergeToml } from "./_harness/gateway.ts";
import { startProsody } from "./_harness/prosody.ts";
import { slixmppIq } from "./_harness/slixmpp.ts";

// Child processes and xmpp.js sockets/timers make Deno's sanitizers noisy; every test disposes
// what it starts, and the last test checks that no Prosody is left behind.
const opts = { sanitizeOps: false, sanitizeResources: false };

const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";

/** Whether any process has `text` in its command line. */
async function processesMatching(text: string): Promise<string> {
  const out = await new Deno.Command("pgrep", { args: ["-af", text], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("two registered users exchange a chat message and ping the server", opts, async () => {
  await using server = await startProsody();
  await server.register("alice", "alice-pw");
  await server.register("bob", "bob-pw");
  await using alice = await connectClient(server, "alice", "alice-pw", { resource: "laptop" });
  await using bob = await connectClient(server, "bob", "bob-pw");
  assert.equal(alice.jid, "alice@localhost/laptop");
  assert.equal(bob.bareJid, "bob@localhost");

  await alice.send(
    xml("message", { to: "bob@localhost", type: "chat", id: "m1" }, xml("body", {}, "hello bob")),
  );
  const msg = await bob.waitFor(
    (s) => s.is("message") && s.attrs.id === "m1",
    5000,
    "alice's chat message",
  );
  assert.equal(msg.attrs.from, "alice@localhost/laptop");
  assert.equal(msg.getChildText("body"), "hello bob");

  const pong = await alice.iq(
    xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })),
  );
  assert.equal(pong.attrs.type, "result");
  assert.equal(pong.attrs.from, "localhost");

  // Error replies are returned, not thrown: tests assert on them.
  const err = await alice.iq(
    xml("iq", { type: "get", to: "localhost" }, xml("nothing", { xmlns: "urn:example:none" })),
  );
  assert.equal(err.attrs.type, "error");
  assert.ok(err.getChild("error")?.getChild("service-unavailable"));

  // The empty <privilege/> message mod_privilege sends on initial presence is never buffered.
  assert.ok(!alice.pending().some((s: XmlElement) => s.getChild("privilege")));
});

Deno.test(
  "waitFor sees stanzas that arrived before the call and names what it waited for",
  opts,
  async () => {
    await using server = await startProsody();
    await server.register("alice", "pw");
    await server.register("bob", "pw");
    await using alice = await connectClient(server, "alice", "pw");
    await using bob = await connectClient(server, "bob", "pw");

    for (const n of [1, 2]) {
      await alice.send(xml("message", { to: bob.jid, id: `early-${n}` }, xml("body", {}, `${n}`)));
    }
    // Make sure both arrived (and were buffered) before anybody waits for the first one.
    await bob.waitFor((s) => s.attrs.id === "early-2");
    const first = await bob.waitFor((s) => s.attrs.id === "early-1", 1000);
    assert.equal(first.getChildText("body"), "1");

    await assert.rejects(
      bob.waitFor((s) => s.attrs.id === "never", 150, "a message that is never sent"),
      /waited 150 ms for a message that is never sent/,
    );
  },
);

Deno.test("an independent slixmpp client gets disco#info from the server", opts, async () => {
  await using server = await startProsody();
  await server.register("carol", "carol-pw");
  const [info, error] = await slixmppIq(server, "carol", "carol-pw", [
    `<iq type="get" to="localhost"><query xmlns="${NS_DISCO_INFO}"/></iq>`,
    xml("iq", { type: "get", to: "localhost" }, xml("nothing", { xmlns: "urn:example:none" })),
  ]);
  assert.equal(info.attrs.type, "result");
  assert.equal(info.attrs.from, "localhost");
  const query = info.getChild("query", NS_DISCO_INFO);
  assert.ok(query);
  assert.ok(query.getChildren("feature").some((f) => f.attrs.var === "urn:xmpp:ping"));
  assert.equal(error.attrs.type, "error");

  await assert.rejects(
    slixmppIq(server, "carol", "wrong", [`<iq type="get" to="localhost"/>`]),
    /authentication failed/,
  );
});

Deno.test("the component gets its XEP-0356 privileges from the test server", opts, async () => {
  await using server = await startProsody();
  // @xmpp/component ships no types: a minimal view of what this test uses.
  const comp = component({
    service: `xmpp://127.0.0.1:${server.componentPort}`,
    domain: server.componentDomain,
    password: server.componentSecret,
  }) as unknown as {
    on(event: "stanza", listener: (s: XmlElement) => void): void;
    on(event: "error", listener: (e: Error) => void): void;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
  };
  try {
    const privilege = new Promise<XmlElement>((resolve) => {
      comp.on("stanza", (s) => {
        const p = s.getChild("privilege", "urn:xmpp:privilege:2");
        if (s.is("message") && p) resolve(p);
      });
    });
    comp.on("error", () => {});
    await comp.start();
    const p = await Promise.race([
      privilege,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no privilege")), 5000)),
    ]);
    const perms = p.getChildren("perm").map((e) =>
      e.attrs.access === "iq"
        ? `iq=${e.getChildren("namespace").map((n) => `${n.attrs.ns}:${n.attrs.type}`).join(",")}`
        : `${e.attrs.access}=${e.attrs.type}`
    ).sort();
    assert.deepEqual(perms, [
      "iq=http://jabber.org/protocol/pubsub:set",
      "message=outgoing",
      "roster=both",
    ]);
  } finally {
    await comp.stop().catch(() => {});
  }
});

Deno.test("restart keeps ports and accounts, and clients come back", opts, async () => {
  await using server = await startProsody();
  await server.register("alice", "pw");
  const ports = [server.c2sPort, server.componentPort];
  await using alice = await connectClient(server, "alice", "pw");

  const backOnline = alice.nextOnline();
  await server.restart();
  assert.deepEqual([server.c2sPort, server.componentPort], ports);
  await backOnline;
  const pong = await alice.iq(
    xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })),
  );
  assert.equal(pong.attrs.type, "result");

  // A fresh login also works, so the account data survived.
  await using again = await connectClient(server, "alice", "pw", { resource: "second" });
  assert.equal(again.jid, "alice@localhost/second");
});

Deno.test(
  "dispose leaves no Prosody and no temp dir behind, even when the test throws",
  opts,
  async () => {
    let dir = "";
    await assert.rejects(async () => {
      await using server = await startProsody();
      dir = server.dir;
      await server.register("alice", "pw");
      await using _alice = await connectClient(server, "alice", "pw");
      assert.match(await processesMatching(dir), /prosody/);
      throw new Error("test failure");
    }, /test failure/);
    assert.equal(await processesMatching(dir), "");
    assert.equal(await exists(dir), false);
  },
);

Deno.test("gateway config overrides deep-merge, replace and delete", () => {
  const merged = mergeToml(
    { gateway: { name: "a", admins: ["x"] }, simulated: { world: "w" }, log: { level: "debug" } },
    { gateway: { admins: ["y", "z"] }, simulated: undefined, log: { level: "info" } },
  );
  assert.deepEqual(merged, {
    gateway: { name: "a", admins: ["y", "z"] },
    log: { level: "info" },
  });
});
