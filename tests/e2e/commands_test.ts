/**
 * Commands end to end: the ad-hoc and chat renderers in an in-test component connected to a real
 * Prosody, driven by a real client. (The gateway process does not register commands yet, so the
 * component is built here from the same parts: ComponentConnection, Router, disco, commands.)
 *
 * @module
 */

import assert from "node:assert/strict";
import { NS_COMMANDS, registerAdhocCommands } from "../../src/xmpp/adhoc_commands.ts";
import { registerChatCommands } from "../../src/xmpp/chat_commands.ts";
import { ComponentConnection } from "../../src/xmpp/component_connection.ts";
import { Router } from "../../src/xmpp/router.ts";
import { registerServiceDiscovery } from "../../src/xmpp/service_discovery.ts";
import type { CommandCaller } from "../../src/gateway/command.ts";
import { connectClient, type TestClient, xml, type XmlElement } from "./_harness/client.ts";
import { type ProsodyServer, startProsody } from "./_harness/prosody.ts";
import { testCommands } from "../xmpp/_test_commands.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

/** The in-test component: every local user counts as registered, none as admin. */
async function startComponent(server: ProsodyServer) {
  const { commands, events } = testCommands();
  const connection = new ComponentConnection({
    domain: server.componentDomain,
    secret: server.componentSecret,
    server: "127.0.0.1",
    port: server.componentPort,
    initialDelayMs: 100,
  });
  const router = new Router({
    domain: server.componentDomain,
    send: (stanza) => connection.send(stanza),
    isRegistered: () => true,
  });
  const caller = (fullJid: string): CommandCaller => {
    const jid = fullJid.split("/")[0].toLowerCase();
    return { jid, fullJid, isAdmin: false, isRegistered: true, isAllowed: true };
  };
  const options = { domain: server.componentDomain, commands: () => commands, caller };
  const adhoc = registerAdhocCommands(router, options);
  const chat = registerChatCommands(router, { ...options, send: (s) => connection.send(s) });
  registerServiceDiscovery(router, {
    name: "Commands test",
    nodeInfo: adhoc.nodeInfo,
    nodeItems: adhoc.nodeItems,
  });
  connection.onStanza((stanza) => void router.handle(stanza));
  const online = new Promise<void>((resolve) => connection.onOnline(resolve));
  connection.start();
  await online;
  return {
    events,
    async [Symbol.asyncDispose]() {
      await adhoc.close();
      await chat.close();
      router.close();
      await connection.stop();
    },
  };
}

function command(to: string, attrs: Record<string, string>, ...children: XmlElement[]) {
  return xml(
    "iq",
    { type: "set", to },
    xml("command", { xmlns: NS_COMMANDS, ...attrs }, ...children),
  );
}

function submit(fields: Record<string, string>): XmlElement {
  return xml(
    "x",
    { xmlns: "jabber:x:data", type: "submit" },
    ...Object.entries(fields).map(([name, value]) =>
      xml("field", { var: name }, xml("value", {}, value))
    ),
  );
}

/** Sends a chat message to the gateway and returns the body of its reply. */
async function chatWith(client: TestClient, gateway: string, body: string): Promise<string> {
  await client.send(xml("message", { type: "chat", to: gateway }, xml("body", {}, body)));
  const reply = await client.waitFor(
    (s) => s.is("message") && s.attrs.from === gateway && s.getChild("body") !== undefined,
    5000,
    `a reply to '${body}'`,
  );
  assert.equal(reply.attrs.type, "chat");
  return reply.getChildText("body") ?? "";
}

Deno.test({
  name: "a client lists the commands and runs a two-step command through ad-hoc commands",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await server.register("alice", "alicepw");
    await using component = await startComponent(server);
    await using alice = await connectClient(server, "alice", "alicepw");
    const gw = server.componentDomain;

    const info = await alice.iq(
      xml(
        "iq",
        { type: "get", to: gw },
        xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }),
      ),
    );
    const features = info.getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
    assert.ok(features.includes(NS_COMMANDS), info.toString());

    const items = await alice.iq(
      xml(
        "iq",
        { type: "get", to: gw },
        xml("query", { xmlns: "http://jabber.org/protocol/disco#items", node: NS_COMMANDS }),
      ),
    );
    assert.equal(items.attrs.type, "result", items.toString());
    const listed = items.getChild("query")!.getChildren("item").map((item) => item.attrs.node);
    assert.deepEqual(listed, ["profile", "info", "down", "boom"]);

    const first = await alice.iq(command(gw, { node: "profile", action: "execute" }));
    assert.equal(first.attrs.type, "result", first.toString());
    const sessionid = first.getChild("command")!.attrs.sessionid!;
    assert.equal(first.getChild("command")!.attrs.status, "executing");

    const refused = await alice.iq(command(gw, { node: "profile", sessionid }, submit({})));
    assert.equal(refused.attrs.type, "error");
    assert.equal(refused.getChild("error")!.getChildText("text"), "Name: a value is required");

    const second = await alice.iq(
      command(gw, { node: "profile", sessionid, action: "next" }, submit({ name: "Alice" })),
    );
    assert.equal(second.getChild("command")!.attrs.status, "executing", second.toString());
    assert.equal(second.getChild("command")!.getChild("actions")!.attrs.execute, "complete");

    const done = await alice.iq(
      command(gw, { node: "profile", sessionid, action: "complete" }, submit({ notify: "true" })),
    );
    const result = done.getChild("command")!;
    assert.equal(result.attrs.status, "completed", done.toString());
    assert.equal(result.getChildText("note"), "Saved Alice (red)");
    assert.equal(result.getChild("x")!.getChildren("item").length, 3);
    assert.deepEqual(component.events, [
      "start profile",
      `submit profile {"name":"Alice","colour":"red","token":"t-1"}`,
      `submit confirm {"notify":true}`,
    ]);
  },
});

Deno.test({
  name: "a client runs the same two-step command by chatting with the gateway",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await server.register("alice", "alicepw");
    await using component = await startComponent(server);
    await using alice = await connectClient(server, "alice", "alicepw");
    const gw = server.componentDomain;

    assert.match(await chatWith(alice, gw, "help"), /^Commands you can send:\nprofile: /);
    assert.equal(
      await chatWith(alice, gw, "dance"),
      "Unknown command 'dance'. Send 'help' for the list.",
    );
    assert.match(await chatWith(alice, gw, "profile"), /\(1\/2\) Name$/);
    assert.match(await chatWith(alice, gw, "Alice"), /^\(2\/2\) Colour/);
    assert.match(await chatWith(alice, gw, "3"), /^Confirm\n/);
    assert.match(await chatWith(alice, gw, "no"), /^\(2\/2\) Password/);
    assert.match(await chatWith(alice, gw, "skip"), /^Saved Alice \(blue\)\n\n```\n/);
    assert.deepEqual(component.events, [
      "start profile",
      `submit profile {"name":"Alice","colour":"blue","token":"t-1"}`,
      `submit confirm {"notify":false}`,
    ]);
  },
});
