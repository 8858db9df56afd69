/**
 * 1:1 messages through the REAL Messenger adapter, end to end: a real Prosody and a real XMPP
 * client, the gateway in-process with fca-unofficial (in its Worker) pointed at the loopback fake
 * of Facebook. What the user does in XMPP must become fca's real requests (recorded by the fake);
 * what the fake edge publishes as Messenger deltas must reach the client as the right stanzas.
 *
 * Ids: the registered user alice@localhost is Messenger account 100001; their friend is 100002
 * (the recorded deltas' sender), whose contact JID is `100002@<gateway>`.
 */
import { Secret } from "../../src/secret.ts";
import assert from "node:assert/strict";
import { startApp } from "../../src/app.ts";
import { parseConfig } from "../../src/config/load.ts";
import { FcaNetwork } from "../../src/messenger/fca/fca_network.ts";
import { putUser } from "../../src/store/user_records.ts";
import { FakeFacebook, type RecordedRequest } from "../messenger/fca/_fake_edge/fake_facebook.ts";
import type { PageStyle } from "../messenger/fca/_fake_edge/pages.ts";
import { TEST_TIMINGS, waitFor } from "../messenger/fca/_harness.ts";
import { wire } from "../messenger/fca/recorded/deltas.ts";
import { connectClient, type TestClient, xml, type XmlElement } from "./_harness/client.ts";
import { AdhocRun, commandOf, noteOf } from "./_harness/gateway_client.ts";
import { startProsody } from "./_harness/prosody.ts";

const SELF = "100001";
const FRIEND = "100002";
/** Not a friend: their thread is a pending message request at the fake. */
const STRANGER = "100005";
const NS_CHATSTATES = "http://jabber.org/protocol/chatstates";
const NS_MARKERS = "urn:xmpp:chat-markers:0";
const NS_REACTIONS = "urn:xmpp:reactions:0";
const NS_RETRACT = "urn:xmpp:message-retract:1";
const NS_RECEIPTS = "urn:xmpp:receipts";

/**
 * A real Prosody, the fake Facebook (serving the home page in `pageStyle`), the gateway with fca,
 * and alice's client.
 */
async function setup(options: { pageStyle?: PageStyle } = {}) {
  const server = await startProsody();
  await server.register("alice", "alicepw");
  const fake = new FakeFacebook();
  fake.pageStyle = options.pageStyle ?? "2020";
  await fake.start();
  const dir = await Deno.makeTempDir({ prefix: "e2e-fca-messages-" });
  const cookies = fake.addAccount({ id: SELF, xs: "xs-100001-fca-messages" });
  const kv = await Deno.openKv(`${dir}/gateway.kv`);
  await putUser(kv, {
    jid: "alice@localhost",
    registeredAt: Date.now(),
    preferences: {},
    messengerSession: new Secret(JSON.stringify(cookies)),
  });
  kv.close();
  const config = parseConfig(
    `[component]\njid = "${server.componentDomain}"\nsecret = "${server.componentSecret}"\n` +
      `port = ${server.componentPort}\n[gateway]\ndata = "${dir}/gateway.kv"\n` +
      `[messenger]\nbackend = "facebook"\n[messages]\nreconnect_wait = 5\n`,
    `${dir}/config.toml`,
    {},
  );
  const network = new FcaNetwork({
    timings: TEST_TIMINGS,
    testOnly: { endpointOverride: { origin: fake.origin } },
  });
  const alice = await connectClient(server, "alice", "alicepw");
  const app = await startApp(config, { network });
  const gw = server.componentDomain;
  await alice.waitFor(
    (s) =>
      s.is("presence") && s.attrs.from === gw &&
      /Connected as/.test(s.getChildText("status") ?? ""),
    20_000,
    "the gateway's 'Connected as' presence",
  );
  return {
    alice,
    fake,
    gw,
    friend: `${FRIEND}@${gw}`,
    async [Symbol.asyncDispose]() {
      await alice.close();
      await app.stop();
      await fake.close();
      await server[Symbol.asyncDispose]();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Waits until fca sent a request to `path` matching `predicate`; returns it. */
async function requestTo(
  fake: FakeFacebook,
  path: string,
  predicate: (request: RecordedRequest) => boolean = () => true,
): Promise<RecordedRequest> {
  await waitFor(`a request to ${path}`, () => fake.requestsTo(path).some(predicate), 10_000);
  return fake.requestsTo(path).find(predicate)!;
}

function fromContact(jid: string, predicate: (s: XmlElement) => boolean) {
  return (s: XmlElement) => s.is("message") && s.attrs.from?.split("/")[0] === jid && predicate(s);
}

async function waitFrom(
  client: TestClient,
  jid: string,
  what: string,
  predicate: (s: XmlElement) => boolean,
): Promise<XmlElement> {
  return await client.waitFor(fromContact(jid, predicate), 15_000, what);
}

const e2e = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "through fca: an XMPP message becomes fca's send, with a receipt once Facebook took it",
  ...e2e,
  async fn() {
    await using t = await setup();
    const { alice, fake, friend } = t;
    await alice.send(
      xml(
        "message",
        { type: "chat", to: friend, id: "x-1" },
        xml("body", {}, "Hello through fca, ça va? 👋"),
        xml("request", { xmlns: NS_RECEIPTS }),
      ),
    );
    const send = await requestTo(fake, "/messaging/send/");
    assert.equal(send.form.body, "Hello through fca, ça va? 👋");
    assert.equal(send.form.other_user_fbid, FRIEND);
    assert.equal(send.user, SELF);
    const receipt = await waitFrom(
      alice,
      friend,
      "the receipt",
      (s) => s.getChild("received", NS_RECEIPTS)?.attrs.id === "x-1",
    );
    assert.ok(receipt);
  },
});

Deno.test({
  name: "through fca with Facebook's 2026 page and deltas: a message each way, with receipt",
  ...e2e,
  async fn() {
    await using t = await setup({ pageStyle: "2026" });
    const { alice, fake, friend } = t;
    await alice.send(
      xml(
        "message",
        { type: "chat", to: friend, id: "x-2026" },
        xml("body", {}, "Hello, 2026"),
        xml("request", { xmlns: NS_RECEIPTS }),
      ),
    );
    // The send carries the tokens of the 2026 page, which fca 1.3.10 cannot read by itself.
    const send = await requestTo(fake, "/messaging/send/");
    const tokens = fake.tokensOf(SELF);
    assert.equal(send.form.body, "Hello, 2026");
    assert.equal(send.form.fb_dtsg, tokens.fbDtsg);
    assert.equal(send.headers["x-fb-lsd"], tokens.lsd);
    await waitFrom(
      alice,
      friend,
      "the receipt",
      (s) => s.getChild("received", NS_RECEIPTS)?.attrs.id === "x-2026",
    );
    // A NewMessage without an attachments list: fca 1.3.10 alone would crash on it.
    assert.equal(fake.publishDeltas(SELF, [wire("message_without_attachments_2026")]), 1);
    const message = await waitFrom(
      alice,
      friend,
      "the friend's 2026 message",
      (s) => s.getChildText("body") === "No attachments list at all",
    );
    assert.equal(message.attrs.id, "mid.$noattach2026");
  },
});

Deno.test({
  name: "through fca: deltas from the edge become a message, reaction, read marker, typing and " +
    "retraction from the contact",
  ...e2e,
  async fn() {
    await using t = await setup();
    const { alice, fake, friend } = t;

    // Something of Alice's for the friend to read.
    await alice.send(
      xml("message", { type: "chat", to: friend, id: "x-10" }, xml("body", {}, "Read me")),
    );
    await requestTo(fake, "/messaging/send/", (request) => request.form.body === "Read me");

    // NewMessage → a chat message from the contact JID, with its Messenger id.
    assert.equal(fake.publishDeltas(SELF, [wire("text_message")]), 1, "one live connection");
    const message = await waitFrom(
      alice,
      friend,
      "the friend's message",
      (s) => s.getChildText("body") === "Hello from Alice",
    );
    assert.equal(message.attrs.type, "chat");
    assert.equal(message.attrs.id, "mid.$text1");
    assert.ok(message.getChild("markable", NS_MARKERS), message.toString());
    assert.ok(message.getChild("delay", "urn:xmpp:delay"), "an old message carries <delay>");

    // The same delta again is not shown twice.
    fake.publishDeltas(SELF, [wire("text_message")]);

    // ClientPayload reaction → XEP-0444 reactions (the mis-decoded emoji repaired).
    fake.publishDeltas(SELF, [wire("reaction")]);
    const reaction = await waitFrom(
      alice,
      friend,
      "the reaction",
      (s) => !!s.getChild("reactions", NS_REACTIONS),
    );
    const reactions = reaction.getChild("reactions", NS_REACTIONS)!;
    assert.equal(reactions.attrs.id, "mid.$text1");
    assert.deepEqual(reactions.getChildren("reaction").map((r) => r.text()), ["❤"]);

    // ReadReceipt → a displayed marker for Alice's last message.
    fake.publishDeltas(SELF, [wire("read_receipt")]);
    const displayed = await waitFrom(
      alice,
      friend,
      "the displayed marker",
      (s) => !!s.getChild("displayed", NS_MARKERS),
    );
    assert.equal(displayed.getChild("displayed", NS_MARKERS)?.attrs.id, "x-10");

    // /thread_typing → composing.
    assert.equal(
      fake.publish(SELF, "/thread_typing", { ...wire("typing_direct_stop"), state: 1 }),
      1,
    );
    await waitFrom(alice, friend, "composing", (s) => !!s.getChild("composing", NS_CHATSTATES));

    // Recall (unsend) → XEP-0424 retraction.
    fake.publishDeltas(SELF, [wire("unsend")]);
    const retraction = await waitFrom(
      alice,
      friend,
      "the retraction",
      (s) => !!s.getChild("retract", NS_RETRACT),
    );
    assert.equal(retraction.getChild("retract", NS_RETRACT)?.attrs.id, "mid.$text1");

    assert.ok(
      !alice.pending().some(
        fromContact(friend, (s) => s.getChildText("body") === "Hello from Alice"),
      ),
      "the duplicate delta was shown again",
    );
    assert.ok(
      !alice.pending().some((s) => /message request/.test(s.getChildText("body") ?? "")),
      "a friend's conversation was taken for a message request",
    );
  },
});

Deno.test({
  name: "through fca: an XMPP reaction, retraction, displayed marker and composing become fca's " +
    "requests",
  ...e2e,
  async fn() {
    await using t = await setup();
    const { alice, fake, friend } = t;
    fake.publishDeltas(SELF, [wire("text_message")]);
    await waitFrom(
      alice,
      friend,
      "the message",
      (s) => s.getChildText("body") === "Hello from Alice",
    );
    await alice.send(
      xml("message", { type: "chat", to: friend, id: "x-20" }, xml("body", {}, "To be unsent")),
    );
    await requestTo(fake, "/messaging/send/", (request) => request.form.body === "To be unsent");
    const sentId = "mid.$fakeSent1";

    // Reaction → setMessageReaction's mutation on the friend's message.
    await alice.send(
      xml(
        "message",
        { type: "chat", to: friend, id: "x-21" },
        xml("reactions", { xmlns: NS_REACTIONS, id: "mid.$text1" }, xml("reaction", {}, "👍")),
      ),
    );
    const mutation = await requestTo(fake, "/webgraphql/mutation/");
    const variables = JSON.parse(mutation.form.variables ?? "{}");
    assert.equal(variables.data.message_id, "mid.$text1");
    assert.equal(variables.data.reaction, "👍");
    assert.equal(variables.data.action, "ADD_REACTION");

    // Retraction of Alice's own message → unsendMessage with its Messenger id.
    await alice.send(
      xml(
        "message",
        { type: "chat", to: friend, id: "x-22" },
        xml("retract", { xmlns: NS_RETRACT, id: "x-20" }),
      ),
    );
    const unsend = await requestTo(fake, "/messaging/unsend_message/");
    assert.equal(unsend.form.message_id, sentId);

    // Displayed → markAsRead, which fca publishes over MQTT.
    await alice.send(
      xml(
        "message",
        { type: "chat", to: friend, id: "x-23" },
        xml("displayed", { xmlns: NS_MARKERS, id: "mid.$text1" }),
      ),
    );
    await waitFor(
      "the /mark_thread publish",
      () =>
        fake.liveConnections(SELF).some((connection) =>
          connection.published.some((item) =>
            item.topic === "/mark_thread" && JSON.parse(item.payload).threadID === FRIEND
          )
        ),
      10_000,
    );

    // Composing → sendTypingIndicator to the friend.
    await alice.send(
      xml("message", { type: "chat", to: friend }, xml("composing", { xmlns: NS_CHATSTATES })),
    );
    const typing = await requestTo(fake, "/ajax/messaging/typ.php");
    assert.equal(typing.form.typ, "1");
    assert.equal(typing.form.to, FRIEND);
    assert.equal(typing.form.thread, FRIEND);

    // A reaction to a message the gateway never bridged is refused, and nothing reaches fca.
    const mutations = fake.requestsTo("/webgraphql/mutation/").length;
    await alice.send(
      xml(
        "message",
        { type: "chat", to: friend, id: "x-24" },
        xml("reactions", { xmlns: NS_REACTIONS, id: "never-seen" }, xml("reaction", {}, "👍")),
      ),
    );
    const refused = await alice.waitFor(
      (s) => s.is("message") && s.attrs.id === "x-24" && s.attrs.type === "error",
      10_000,
      "the refusal",
    );
    assert.ok(refused.getChild("error")?.getChild("item-not-found"), refused.toString());
    assert.equal(fake.requestsTo("/webgraphql/mutation/").length, mutations);
  },
});

Deno.test({
  name: "through fca: a stranger's first message follows a request notice, and accepting it " +
    "reaches fca's move_thread",
  ...e2e,
  async fn() {
    await using t = await setup();
    const { alice, fake, gw } = t;
    const stranger = `${STRANGER}@${gw}`;
    fake.messageRequests.add(STRANGER);
    const delta = wire("text_message");
    const metadata = delta.messageMetadata as Record<string, unknown>;
    metadata.actorFbId = STRANGER;
    metadata.threadKey = { otherUserFbId: STRANGER };
    metadata.messageId = "mid.$request1";
    delta.body = "Hi, we met at the conference";
    fake.publishDeltas(SELF, [delta]);

    const message = await waitFrom(
      alice,
      stranger,
      "the stranger's message",
      (s) => s.getChildText("body") === "Hi, we met at the conference",
    );
    assert.equal(message.attrs.type, "chat");
    const notice = alice.pending().find((s) =>
      s.is("message") && s.attrs.from === gw && /message request/.test(s.getChildText("body") ?? "")
    );
    assert.ok(notice, "no request notice before the message");
    assert.match(
      notice.getChildText("body") ?? "",
      new RegExp(`^User ${STRANGER} \\(${stranger}\\) is not your Messenger friend`),
    );

    // fca's thread list (inbox only) cannot list requests here: the one seen is offered.
    const run = new AdhocRun(alice, gw, "message-requests");
    const form = commandOf(await run.execute()).getChild("x", "jabber:x:data");
    const field = form?.getChildren("field").find((f) => f.attrs.var === `request-${STRANGER}`);
    assert.ok(field, form?.toString());
    assert.equal(field.getChildText("desc"), "“Hi, we met at the conference”");
    const done = await run.submit({ [`request-${STRANGER}`]: "accept" }, "complete");
    assert.match(noteOf(done), new RegExp(`^Accepted: User ${STRANGER} \\(${stranger}\\)`));
    const move = await requestTo(fake, "/ajax/mercury/move_thread.php");
    assert.equal(move.form["inbox[0]"], STRANGER);
    assert.equal(fake.messageRequests.has(STRANGER), false);
  },
});
