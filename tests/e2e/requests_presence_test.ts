/**
 * Message requests and contact presence end to end: a real Prosody, the real gateway process on
 * the simulated network (driven through its control API) and real clients.
 *
 * - a stranger's message is shown from their contact JID, preceded by the gateway's notice;
 *   `message-requests` lists pending requests with previews and accepts or declines them, by
 *   ad-hoc command and by chat;
 * - `contacts.presence`: "connected" (contacts follow the Messenger connection, also across a
 *   reconnection), "messenger" (Messenger's presence updates are shown), "none" (never available).
 */
import assert from "node:assert/strict";
import { connectClient, type TestClient, xml, type XmlElement } from "./_harness/client.ts";
import type { TomlTable } from "./_harness/gateway.ts";
import {
  AdhocRun,
  chatAsk,
  commandOf,
  errorCondition,
  errorText,
  noteOf,
} from "./_harness/gateway_client.ts";
import { aliceWorld, bodyFrom, chat, registeredAlice } from "./_harness/registered_alice.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

const WORLD = aliceWorld(`
[[account.message_request]]
from = "300001"
text = "Hi! Saw your post about the hike, can I join?"

[[user]]
id = "300001"
name = "Stranger Danger"

[[user]]
id = "300002"
name = "Bobby Tables"
`);

/** Alice registered and online from her laptop; `config` is merged over the test config. */
function setup(config: TomlTable = {}) {
  return registeredAlice({ world: WORLD, config, resource: "laptop" });
}

function isPresenceFrom(jid: string, type: string | undefined) {
  return (s: XmlElement) =>
    s.is("presence") && s.attrs.from?.split("/")[0] === jid && s.attrs.type === type;
}

/** Waits `ms` and asserts that no stanza matching `predicate` arrived meanwhile. */
async function nothingFor(client: TestClient, ms: number, predicate: (s: XmlElement) => boolean) {
  await new Promise((resolve) => setTimeout(resolve, ms));
  const found = client.pending().filter(predicate);
  assert.deepEqual(found.map((s) => s.toString()), []);
}

Deno.test({
  name: "a stranger's message is shown after a request notice, and requests are answered by " +
    "ad-hoc command and by chat",
  ...e2e,
  async fn() {
    await using t = await setup();
    const { alice, control, gw } = t;
    const bobby = `300002@${gw}`;
    const stranger = `300001@${gw}`;

    // A new request: the gateway's notice, then the message itself from the contact JID.
    await control.inject({ type: "message", sender: "300002", text: "Hello from Bobby" });
    const message = await alice.waitFor(
      (s) => s.is("message") && s.attrs.from?.split("/")[0] === bobby,
      10_000,
      "Bobby's message",
    );
    assert.equal(message.attrs.type, "chat");
    assert.equal(message.getChildText("body"), "Hello from Bobby");
    assert.ok(message.getChild("markable", "urn:xmpp:chat-markers:0"), message.toString());
    const notice = alice.pending().find((s) =>
      s.is("message") && s.attrs.from === gw && /message request/.test(s.getChildText("body") ?? "")
    );
    assert.ok(notice, "no request notice arrived before the message");
    assert.match(
      notice.getChildText("body") ?? "",
      new RegExp(`^Bobby Tables \\(${bobby}\\) is not your Messenger friend: .*'message-requests'`),
    );

    // Ad-hoc: both requests (the one pending since before, and Bobby's), newest first.
    const run = new AdhocRun(alice, gw, "message-requests");
    const form = commandOf(await run.execute()).getChild("x", "jabber:x:data");
    assert.ok(form, "no form");
    const fields = form.getChildren("field");
    assert.deepEqual(fields.map((field) => field.attrs.var), [
      "request-300002",
      "request-300001",
    ]);
    assert.deepEqual(fields.map((field) => field.attrs.type), ["list-single", "list-single"]);
    assert.equal(fields[1].attrs.label, `Stranger Danger: ${stranger}`);
    assert.equal(fields[1].getChildText("desc"), "“Hi! Saw your post about the hike, can I join?”");
    assert.deepEqual(
      fields[1].getChildren("option").map((option) => option.getChildText("value")),
      ["later", "accept", "decline"],
    );

    // A value that is not a choice is refused; the session stays open for a correction.
    const wrong = await run.submit({ "request-300001": "maybe" }, "complete");
    assert.equal(wrong.attrs.type, "error");
    assert.equal(errorCondition(wrong), "bad-request");
    assert.match(errorText(wrong), /'maybe' is not one of the choices/);
    const declined = await run.submit(
      { "request-300001": "decline", "request-300002": "later" },
      "complete",
    );
    assert.equal(
      noteOf(declined),
      `Declined: Stranger Danger (${stranger}). 1 left for later: run 'message-requests' ` +
        "again to see them.",
    );
    const decline = await control.waitOperation(
      "decline",
      (op) => op.method === "handleMessageRequest",
    );
    assert.deepEqual({ threads: decline.threads, accept: decline.accept }, {
      threads: ["300001"],
      accept: false,
    });

    // Chat: the one left, asked as a question with its preview; accepted by word.
    const question = await chatAsk(alice, gw, "message-requests", /Bobby Tables: 300002@/);
    assert.match(question, /^Message requests\n1 pending message request\./);
    assert.match(question, /“Hello from Bobby”/);
    assert.match(question, /1\. Decide later\n2\. Accept\n3\. Decline/);
    const accepted = await chatAsk(alice, gw, "accept", /^Accepted/);
    assert.match(accepted, new RegExp(`^Accepted: Bobby Tables \\(${bobby}\\)\\.`));
    await control.waitOperation(
      "accept",
      (op) => op.method === "handleMessageRequest" && op.accept === true,
    );
    assert.match(
      await chatAsk(alice, gw, "message-requests", /pending message requests/),
      /^You have no pending message requests/,
    );

    // The accepted sender is a normal conversation now: Alice writes to them.
    await alice.send(
      xml("message", { type: "chat", to: bobby, id: "r-1" }, xml("body", {}, "Welcome!")),
    );
    const sent = await control.waitOperation("send", (op) => op.text === "Welcome!");
    assert.equal(sent.thread, "300002");
  },
});

Deno.test({
  name: "by default contacts are available while Messenger is connected, also after a reconnection",
  ...e2e,
  async fn() {
    await using t = await setup();
    const { alice, control, bob } = t;
    await alice.waitFor(isPresenceFrom(bob, undefined), 10_000, "Bob available");
    alice.clearPending();
    await control.faults({ kind: "drop_connection", downMs: 1000 });
    await alice.waitFor(isPresenceFrom(bob, "unavailable"), 10_000, "Bob unavailable");
    await alice.waitFor(isPresenceFrom(bob, undefined), 10_000, "Bob available again");
    // Messenger's own presence is not shown in this mode.
    alice.clearPending();
    await control.inject({ type: "presence", user: "200002", online: false });
    await nothingFor(alice, 500, isPresenceFrom(bob, "unavailable"));
  },
});

Deno.test({
  name: 'contacts.presence = "messenger" shows Messenger\'s presence updates',
  ...e2e,
  async fn() {
    await using t = await setup({ contacts: { presence: "messenger" } });
    const { alice, control, bob, server, gw } = t;
    await nothingFor(alice, 500, isPresenceFrom(bob, undefined));

    await control.inject({ type: "presence", user: "200002", online: true });
    await alice.waitFor(isPresenceFrom(bob, undefined), 10_000, "Bob online");
    await control.inject({
      type: "presence",
      user: "200002",
      online: false,
      lastActive: 1_700_000_040_000,
    });
    const offline = await alice.waitFor(
      (s) => isPresenceFrom(bob, "unavailable")(s) && s.getChild("status") !== undefined,
      10_000,
      "Bob offline",
    );
    assert.equal(offline.getChildText("status"), "Last active 2023-11-14 22:14 UTC");

    // A client coming online is told the same, from the gateway's memory (no Messenger query).
    await control.inject({ type: "presence", user: "200002", online: true });
    await alice.waitFor(isPresenceFrom(bob, undefined), 10_000, "Bob online again");
    await using tablet = await connectClient(server, "alice", "alicepw", { resource: "tablet" });
    await tablet.waitFor(isPresenceFrom(bob, undefined), 10_000, "Bob online, on the tablet");
    await tablet.waitFor(isPresenceFrom(`200001@${gw}`, "unavailable"), 10_000, "Echo offline");
  },
});

Deno.test({
  name: 'contacts.presence = "none" never shows contacts available',
  ...e2e,
  async fn() {
    await using t = await setup({ contacts: { presence: "none" } });
    const { alice, control, bob, server } = t;
    await control.inject({ type: "presence", user: "200002", online: true });
    await nothingFor(alice, 700, isPresenceFrom(bob, undefined));
    await using tablet = await connectClient(server, "alice", "alicepw", { resource: "tablet" });
    await tablet.waitFor(isPresenceFrom(bob, "unavailable"), 10_000, "Bob unavailable");
    assert.ok(!tablet.pending().some(isPresenceFrom(bob, undefined)));
  },
});

Deno.test({
  name: "a client coming online hears the gateway's and each contact's presence once",
  ...e2e,
  async fn() {
    await using t = await setup();
    const { gw, echo, bob } = t;
    // Profanity showed every presence twice: once answering the new resource's presence, once
    // answering its server's probes. Only the probes are answered now.
    await using phone = await connectClient(t.server, "alice", "alicepw", { resource: "phone" });
    // A positive signal after the presences: the echo of a message sent once online.
    await phone.send(chat(echo, "p-1", "Are you there?"));
    await bodyFrom(phone, echo, "Are you there?");
    const heard = (jid: string) =>
      phone.pending().filter(isPresenceFrom(jid, undefined)).map((s) => s.toString());
    assert.equal(heard(gw).length, 1, heard(gw).join("\n"));
    assert.equal(heard(echo).length, 1, heard(echo).join("\n"));
    assert.equal(heard(bob).length, 1, heard(bob).join("\n"));
  },
});
