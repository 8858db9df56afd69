/**
 * Roster, presence and vCards end to end: the real gateway process, a real Prosody (with and
 * without the XEP-0356 privileges) and a real client, on the simulated network. Alice is
 * registered by seeding the gateway's KV file (cookie login), so these tests do not depend on the
 * registration flow.
 */
import assert from "node:assert/strict";
import { connectClient, type TestClient, xml, type XmlElement } from "./_harness/client.ts";
import { startGateway } from "./_harness/gateway.ts";
import { noteOf, runCommand } from "./_harness/gateway_client.ts";
import { binvalSha1, servePictures } from "./_harness/picture_server.ts";
import { startProsody } from "./_harness/prosody.ts";
import { seededKv } from "./_harness/seeded_user.ts";
import { ALICE_ACCOUNT_TOML } from "./_harness/registered_alice.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const NS_ROSTER = "jabber:iq:roster";

function world(options: { avatarUrl?: string } = {}): string {
  return `${ALICE_ACCOUNT_TOML}
[[account.friend]]
id = "200001"
name = "Echo Bot"
echo = true
${options.avatarUrl ? `avatar_url = "${options.avatarUrl}"` : ""}

[[user]]
id = "300001"
name = "Stranger Danger"
`;
}

async function setup(
  options: {
    privileges?: boolean;
    avatarUrl?: string;
    gateway?: Record<string, string | number | boolean>;
    control?: boolean;
    clientPresence?: boolean;
  } = {},
) {
  const server = await startProsody({ privileges: options.privileges ?? true });
  await server.register("alice", "alicepw");
  const kv = await seededKv();
  const gateway = await startGateway(server, {
    world: world({ avatarUrl: options.avatarUrl }),
    config: {
      gateway: { data: kv.path, ...options.gateway },
      // An avatar server on loopback is private: the admin must list it to have it fetched.
      ...(options.avatarUrl
        ? { messages: { private_file_origins: [new URL(options.avatarUrl).origin] } }
        : {}),
      ...(options.control ? { simulated: { control: "127.0.0.1:0" } } : {}),
    },
  });
  const alice = await connectClient(server, "alice", "alicepw", {
    presence: options.clientPresence ?? false,
  });
  return {
    server,
    gateway,
    alice,
    kv,
    gw: server.componentDomain,
    async [Symbol.asyncDispose]() {
      await alice.close();
      await gateway[Symbol.asyncDispose]();
      await server[Symbol.asyncDispose]();
      await kv[Symbol.asyncDispose]();
    },
  };
}

async function roster(client: TestClient): Promise<Map<string, XmlElement>> {
  const reply = await client.iq(xml("iq", { type: "get" }, xml("query", { xmlns: NS_ROSTER })));
  assert.equal(reply.attrs.type, "result", reply.toString());
  const items = reply.getChild("query", NS_ROSTER)?.getChildren("item") ?? [];
  return new Map(items.map((item) => [item.attrs.jid!, item]));
}

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function presenceFrom(jid: string, type?: string) {
  return (s: XmlElement) =>
    s.is("presence") && s.attrs.from?.split("/")[0] === jid && s.attrs.type === type;
}

function errorCondition(stanza: XmlElement): string | undefined {
  return stanza.getChild("error")?.getChildElements().find((c) => c.name !== "text")?.name;
}

async function accountSessions(control: string): Promise<number> {
  const response = await fetch(`${control}/accounts`);
  const body = await response.json() as { accounts: { userId: string; sessions: unknown[] }[] };
  return body.accounts.find((a) => a.userId === "100001")!.sessions.length;
}

Deno.test({
  name: "with the roster privilege the gateway and the friends appear in the roster, and the " +
    "gateway's presence says who is logged in",
  ...e2e,
  async fn() {
    await using t = await setup();
    const items = await eventually("the gateway's roster push", async () => {
      const items = await roster(t.alice);
      return items.has(`200001@${t.gw}`) && items.has(t.gw) ? items : undefined;
    });
    const echo = items.get(`200001@${t.gw}`)!;
    assert.equal(echo.attrs.name, "Echo Bot");
    assert.equal(echo.attrs.subscription, "both");
    assert.equal(echo.getChildText("group"), "Messenger");
    assert.equal(items.get(t.gw)!.attrs.name, "Facebook Messenger (test)");
    assert.equal(items.get(t.gw)!.getChildText("group"), "Messenger");

    // Coming online: the server broadcasts to the gateway and probes it; both are answered.
    await t.alice.send(xml("presence"));
    const gateway = await t.alice.waitFor(presenceFrom(t.gw), 5000, "the gateway's presence");
    assert.equal(gateway.getChildText("status"), "Connected as Alice Example");
    const contact = await t.alice.waitFor(presenceFrom(`200001@${t.gw}`), 5000, "Echo's presence");
    assert.ok(contact.getChild("x", "vcard-temp:x:update"), contact.toString());

    // Probes sent by the client are answered from stored state too.
    t.alice.clearPending();
    await t.alice.send(xml("presence", { type: "probe", to: t.gw }));
    const probed = await t.alice.waitFor(presenceFrom(t.gw), 5000, "the probe's answer");
    assert.equal(probed.getChildText("status"), "Connected as Alice Example");
    await t.alice.send(xml("presence", { type: "probe", to: `200001@${t.gw}` }));
    await t.alice.waitFor(presenceFrom(`200001@${t.gw}`), 5000, "Echo's probe answer");
    await t.alice.send(xml("presence", { type: "probe", to: `300001@${t.gw}` }));
    await t.alice.waitFor(presenceFrom(`300001@${t.gw}`, "unavailable"), 5000, "a stranger");
  },
});

Deno.test({
  name: "without privileges the gateway and each friend ask for a subscription, saying why, and " +
    "subscribing is answered (a non-friend is refused with an explanation)",
  ...e2e,
  async fn() {
    await using t = await setup({ privileges: false, clientPresence: true });
    const fromGateway = await t.alice.waitFor(
      presenceFrom(t.gw, "subscribe"),
      10_000,
      "the gateway's subscription request",
    );
    assert.match(fromGateway.getChildText("status")!, /does not let the gateway add contacts/);
    const fromEcho = await t.alice.waitFor(
      presenceFrom(`200001@${t.gw}`, "subscribe"),
      5000,
      "Echo's subscription request",
    );
    assert.equal(fromEcho.getChildText("nick", "http://jabber.org/protocol/nick"), "Echo Bot");
    assert.match(fromEcho.getChildText("status")!, /Messenger contact: accept so you can chat/);
    const items = await roster(t.alice);
    assert.equal(items.has(`200001@${t.gw}`), false, "nothing was put into the roster");

    // Alice accepts and subscribes back, as clients do.
    await t.alice.send(xml("presence", { type: "subscribed", to: t.gw }));
    await t.alice.send(xml("presence", { type: "subscribe", to: t.gw }));
    await t.alice.waitFor(presenceFrom(t.gw, "subscribed"), 5000, "the gateway's approval");
    const status = await t.alice.waitFor(presenceFrom(t.gw), 5000, "the gateway's presence");
    assert.equal(status.getChildText("status"), "Connected as Alice Example");

    await t.alice.send(xml("presence", { type: "subscribe", to: `200001@${t.gw}` }));
    await t.alice.waitFor(presenceFrom(`200001@${t.gw}`, "subscribed"), 5000, "Echo's approval");

    await t.alice.send(xml("presence", { type: "subscribe", to: `300001@${t.gw}` }));
    await t.alice.waitFor(presenceFrom(`300001@${t.gw}`, "unsubscribed"), 5000, "a refusal");
    const why = await t.alice.waitFor(
      (s) => s.is("message") && s.attrs.from === t.gw && !!s.getChildText("body"),
      5000,
      "the gateway's explanation",
    );
    assert.equal(
      why.getChildText("body"),
      `Only your Messenger friends can be added to your roster: Stranger Danger (300001@${t.gw}) ` +
        "is not one of them",
    );
  },
});

Deno.test({
  name: "unsubscribing from the gateway unregisters: roster cleaned, contacts refuse, no data left",
  ...e2e,
  async fn() {
    await using t = await setup();
    await eventually("the roster push", async () => (await roster(t.alice)).has(t.gw) || undefined);
    const mark = t.gateway.mark();
    await t.alice.send(xml("presence", { type: "unsubscribe", to: t.gw }));
    await t.gateway.waitForLog(/alice@localhost unregistered \(unsubscribed\)/, 10_000, mark);

    await eventually("the roster to be cleaned", async () => {
      const items = await roster(t.alice);
      return [...items.keys()].some((jid) => jid.endsWith(t.gw)) ? undefined : true;
    });
    await t.alice.send(
      xml("message", { type: "chat", to: `200001@${t.gw}`, id: "after" }, xml("body", {}, "hi")),
    );
    const bounce = await t.alice.waitFor((s) => s.is("message") && s.attrs.id === "after");
    assert.equal(errorCondition(bounce), "registration-required");

    assert.equal(await t.gateway.stop(), 0, t.gateway.output());
    const kv = await Deno.openKv(t.kv.path);
    try {
      const left: string[] = [];
      for await (const entry of kv.list({ prefix: [] })) {
        const text = JSON.stringify(entry.key) + JSON.stringify(entry.value);
        if (text.includes("alice@localhost")) left.push(JSON.stringify(entry.key));
      }
      assert.deepEqual(left, []);
    } finally {
      kv.close();
    }
  },
});

Deno.test({
  name: "a contact's vCard has its name and avatar, and its presence the avatar's SHA-1",
  ...e2e,
  async fn() {
    await using pictures = servePictures();
    await using t = await setup({ avatarUrl: pictures.url("echo.png") });
    await eventually(
      "the roster push",
      async () => (await roster(t.alice)).has(`200001@${t.gw}`) || undefined,
    );
    await t.alice.send(xml("presence"));
    await t.alice.waitFor(
      (s) =>
        presenceFrom(`200001@${t.gw}`)(s) &&
        s.getChild("x", "vcard-temp:x:update")?.getChildText("photo") === pictures.sha1,
      10_000,
      "Echo's presence with the avatar hash",
    );

    const reply = await t.alice.iq(
      xml("iq", { type: "get", to: `200001@${t.gw}` }, xml("vCard", { xmlns: "vcard-temp" })),
    );
    assert.equal(reply.attrs.type, "result", reply.toString());
    const vcard = reply.getChild("vCard", "vcard-temp")!;
    assert.equal(vcard.getChildText("FN"), "Echo Bot");
    assert.equal(vcard.getChild("PHOTO")!.getChildText("TYPE"), "image/png");
    assert.equal(binvalSha1(vcard.getChild("PHOTO")!.getChildText("BINVAL")!), pictures.sha1);

    const unknown = await t.alice.iq(
      xml("iq", { type: "get", to: `300001@${t.gw}` }, xml("vCard", { xmlns: "vcard-temp" })),
    );
    assert.equal(errorCondition(unknown), "item-not-found");
  },
});

Deno.test({
  name: "a contact the user removes from the roster stays out of later syncs until added back",
  ...e2e,
  async fn() {
    await using t = await setup();
    const echo = `200001@${t.gw}`;
    await eventually("the roster push", async () => (await roster(t.alice)).has(echo) || undefined);

    // The user deletes the contact in their client: their server tells the contact (unsubscribe).
    const removed = await t.alice.iq(
      xml(
        "iq",
        { type: "set" },
        xml("query", { xmlns: NS_ROSTER }, xml("item", { jid: echo, subscription: "remove" })),
      ),
    );
    assert.equal(removed.attrs.type, "result", removed.toString());
    await t.gateway.waitForLog(/alice@localhost removed contact 200001 from their roster/);

    // The same sync a login runs leaves it out, and says so.
    const sync = noteOf(await runCommand(t.alice, t.gw, "sync-contacts"));
    assert.match(sync, /^Synchronised 0 Messenger contacts with your roster \(1 you removed/);
    assert.ok(!(await roster(t.alice)).has(echo), "the removed contact came back");

    // Adding it back from the client: approved, and synced again from now on.
    await t.alice.send(xml("presence", { type: "subscribe", to: echo }));
    await t.alice.waitFor(presenceFrom(echo, "subscribed"), 10_000, "the contact's approval");
    assert.equal(
      noteOf(await runCommand(t.alice, t.gw, "sync-contacts")),
      "Synchronised 1 Messenger contact with your roster",
    );
    await eventually(
      "the contact back in the roster, both ways",
      async () => (await roster(t.alice)).get(echo)?.attrs.subscription === "both" || undefined,
    );
  },
});

Deno.test({
  name: "with keep_sessions_when_offline = false the Messenger session ends while the user is " +
    "offline and comes back with them",
  ...e2e,
  async fn() {
    await using t = await setup({ gateway: { keep_sessions_when_offline: false }, control: true });
    const control = await t.gateway.controlUrl();
    await eventually("the roster push", async () => (await roster(t.alice)).has(t.gw) || undefined);
    // Alice has no available resource: the gateway's probe after the push says she is offline.
    await eventually(
      "the session to end",
      async () => (await accountSessions(control)) === 0 || undefined,
    );
    await t.gateway.waitForLog(/alice@localhost has no XMPP client online/);

    await t.alice.send(xml("presence"));
    const back = await t.alice.waitFor(
      (s) => presenceFrom(t.gw)(s) && s.getChildText("status") === "Connected as Alice Example",
      10_000,
      "the gateway connected again",
    );
    assert.ok(back);
    assert.equal(await accountSessions(control), 1);

    await t.alice.send(xml("presence", { type: "unavailable" }));
    await eventually(
      "the session to end again",
      async () => (await accountSessions(control)) === 0 || undefined,
    );
    await t.alice.send(xml("presence"));
    await eventually(
      "the session to come back",
      async () => (await accountSessions(control)) === 1 || undefined,
    );
  },
});
