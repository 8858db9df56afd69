/**
 * The foundation, end to end: the gateway process against a real Prosody with real clients.
 */
import assert from "node:assert/strict";
import { connectClient, xml, type XmlElement } from "./_harness/client.ts";
import { startGateway } from "./_harness/gateway.ts";
import { startProsody } from "./_harness/prosody.ts";
import { putUser } from "../../src/store/user_records.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

function errorCondition(stanza: XmlElement): string | undefined {
  return stanza.getChild("error")?.getChildElements().find((c) => c.name !== "text")?.name;
}

Deno.test({
  name: "the gateway comes online and answers disco#info, ping, version and unknown iqs",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await server.register("alice", "alicepw");
    await using gateway = await startGateway(server);
    await using alice = await connectClient(server, "alice", "alicepw");
    const gw = server.componentDomain;

    const info = await alice.iq(
      xml(
        "iq",
        { type: "get", to: gw },
        xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
      ),
    );
    assert.equal(info.attrs.type, "result", info.toString());
    const identity = info.getChild("query")!.getChild("identity")!;
    assert.deepEqual(
      { category: identity.attrs.category, type: identity.attrs.type, name: identity.attrs.name },
      { category: "gateway", type: "facebook", name: "Facebook Messenger (test)" },
    );
    const features = info.getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
    assert.deepEqual(features.sort(), [
      "http://jabber.org/protocol/commands",
      "http://jabber.org/protocol/disco#info",
      "http://jabber.org/protocol/disco#items",
      "jabber:iq:gateway",
      "jabber:iq:register",
      "jabber:iq:search",
      "jabber:iq:version",
      "urn:xmpp:ping",
      "vcard-temp",
    ]);

    const items = await alice.iq(
      xml(
        "iq",
        { type: "get", to: gw },
        xml("query", { xmlns: "http://jabber.org/protocol/disco#items" }),
      ),
    );
    assert.equal(items.attrs.type, "result");

    const pong = await alice.iq(
      xml("iq", { type: "get", to: gw }, xml("ping", { xmlns: "urn:xmpp:ping" })),
    );
    assert.equal(pong.attrs.type, "result", pong.toString());

    const version = await alice.iq(
      xml("iq", { type: "get", to: gw }, xml("query", { xmlns: "jabber:iq:version" })),
    );
    assert.equal(version.getChild("query")?.getChildText("name"), "messenger-gateway");

    const unknown = await alice.iq(
      xml("iq", { type: "get", to: gw }, xml("query", { xmlns: "urn:example:nothing" })),
    );
    assert.equal(unknown.attrs.type, "error");
    assert.equal(errorCondition(unknown), "service-unavailable");

    const badNode = await alice.iq(
      xml(
        "iq",
        { type: "get", to: gw },
        xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node: "nope" }),
      ),
    );
    assert.equal(errorCondition(badNode), "item-not-found");

    // A message to a contact from someone not registered bounces with registration-required.
    await alice.send(
      xml("message", { type: "chat", to: `200001@${gw}`, id: "m-1" }, xml("body", {}, "hello")),
    );
    const bounce = await alice.waitFor((s) => s.is("message") && s.attrs.id === "m-1");
    assert.equal(bounce.attrs.type, "error");
    assert.equal(errorCondition(bounce), "registration-required");

    // The gateway is still healthy after all that, and never logged the secret.
    const again = await alice.iq(
      xml("iq", { type: "get", to: gw }, xml("ping", { xmlns: "urn:xmpp:ping" })),
    );
    assert.equal(again.attrs.type, "result");
    assert.ok(!gateway.output().includes(server.componentSecret), "the secret appeared in the log");
  },
});

Deno.test({
  name: "a wrong component secret makes the gateway exit 3 with a one-line explanation",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    const wrong = "definitely-not-the-secret";
    await using gateway = await startGateway(server, {
      config: { component: { secret: wrong } },
      expectOnline: false,
    });
    const { code } = await withDeadline(gateway.exited, 20_000, "the gateway did not exit");
    assert.equal(code, 3, gateway.output());
    assert.match(gateway.output(), /refused the component secret/);
    // Never online: nothing may be said about privileges (it would send the admin the wrong way).
    assert.doesNotMatch(gateway.output(), /XEP-0356/);
    assert.ok(!gateway.output().includes(wrong), "the secret appeared in the output");
  },
});

Deno.test({
  name: "a second gateway on the same domain exits 3 saying the domain is already connected",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await using first = await startGateway(server);
    await using second = await startGateway(server, { expectOnline: false });
    const { code } = await withDeadline(second.exited, 20_000, "the second gateway did not exit");
    assert.equal(code, 3, second.output());
    assert.match(second.output(), /already connected/);
    assert.match(first.output(), /component online/i);
  },
});

Deno.test({
  name: "a bad configuration exits 2 naming the key and the file",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await using gateway = await startGateway(server, {
      config: { component: { port: "five" }, gateway: { admin: ["x@localhost"] } },
      expectOnline: false,
    });
    const { code } = await withDeadline(gateway.exited, 20_000, "the gateway did not exit");
    assert.equal(code, 2, gateway.output());
    const out = gateway.output();
    assert.match(out, /component\.port/);
    assert.match(out, /gateway\.admin/);
    assert.match(out, /did you mean "gateway\.admins"/);
    assert.ok(out.includes(gateway.config), `the file is not named: ${out}`);
  },
});

Deno.test({
  name: "after Prosody restarts the gateway comes back online by itself",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await server.register("alice", "alicepw");
    await using gateway = await startGateway(server);
    const mark = gateway.mark();
    await server.restart();
    await gateway.waitForLog(/component online/i, 30_000, mark);
    await using alice = await connectClient(server, "alice", "alicepw");
    const pong = await alice.iq(
      xml(
        "iq",
        { type: "get", to: server.componentDomain },
        xml("ping", { xmlns: "urn:xmpp:ping" }),
      ),
    );
    assert.equal(pong.attrs.type, "result", pong.toString());
  },
});

Deno.test({
  name: "SIGTERM stops the gateway cleanly with exit code 0",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await using gateway = await startGateway(server);
    const code = await gateway.stop("SIGTERM");
    assert.equal(code, 0, gateway.output());
    assert.match(gateway.output(), /Stopped/);
  },
});

Deno.test({
  name: "SIGTERM while the gateway is still starting also stops it cleanly",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await using gateway = await startGateway(server, { expectOnline: false });
    await gateway.waitForLog(/Opened store/, 20_000);
    const code = await gateway.stop("SIGTERM");
    assert.equal(code, 0, gateway.output());
  },
});

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

Deno.test({
  name: "on SIGTERM registered users receive an unavailable presence from the gateway",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await server.register("alice", "alicepw");
    const dataDir = await Deno.makeTempDir();
    const kv = await Deno.openKv(`${dataDir}/gateway.kv`);
    try {
      await putUser(kv, { jid: "alice@localhost", registeredAt: Date.now(), preferences: {} });
    } finally {
      kv.close();
    }
    await using gateway = await startGateway(server, {
      config: { gateway: { data: `${dataDir}/gateway.kv` } },
    });
    await using alice = await connectClient(server, "alice", "alicepw");
    // Registered now: a message to a contact is no longer refused for registration.
    await alice.send(
      xml(
        "message",
        { type: "chat", to: `200001@${server.componentDomain}`, id: "m-2" },
        xml("body", {}, "hi"),
      ),
    );
    const reply = await alice.waitFor((s) => s.is("message") && s.attrs.id === "m-2");
    assert.notEqual(errorCondition(reply), "registration-required");

    assert.equal(await gateway.stop("SIGTERM"), 0, gateway.output());
    const gone = await alice.waitFor((s) =>
      s.is("presence") && s.attrs.from === server.componentDomain && s.attrs.type === "unavailable"
    );
    assert.equal(gone.attrs.to?.split("/")[0], "alice@localhost");
    await Deno.remove(dataDir, { recursive: true });
  },
});
