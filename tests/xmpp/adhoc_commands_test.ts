import assert from "node:assert/strict";
import { type LogRecord, resetSync } from "@logtape/logtape";
import { configureLogging, formatRecord } from "../../src/log.ts";
import { NS_COMMANDS, registerAdhocCommands } from "../../src/xmpp/adhoc_commands.ts";
import { registerServiceDiscovery } from "../../src/xmpp/service_discovery.ts";
import type { Element } from "../../src/xmpp/xml.ts";
import { errorCondition, errorText, parse, recordingRouter } from "./_stanzas.ts";
import { ADMIN, ALICE, BOB, EVE, testCaller, testCommands } from "./_test_commands.ts";

const GW = "facebook.example.org";
const ALICE_PHONE = `${ALICE}/phone`;
const ALICE_LAPTOP = `${ALICE}/laptop`;

/** A router with disco and ad-hoc commands over the test commands; dispose it to close. */
function gateway(sessionTimeoutMs?: number) {
  const { router, sent } = recordingRouter();
  const { commands, events } = testCommands();
  const adhoc = registerAdhocCommands(router, {
    domain: GW,
    commands: () => commands,
    caller: testCaller,
    sessionTimeoutMs,
  });
  registerServiceDiscovery(router, {
    name: "Test gateway",
    nodeInfo: adhoc.nodeInfo,
    nodeItems: adhoc.nodeItems,
  });
  let nextId = 0;
  /** Sends one iq and returns the one reply. */
  async function iq(from: string, type: "get" | "set", payload: string): Promise<Element> {
    sent.length = 0;
    const id = `i${++nextId}`;
    await router.handle(
      parse(`<iq type="${type}" id="${id}" from="${from}" to="${GW}">${payload}</iq>`),
    );
    assert.equal(sent.length, 1, "exactly one reply");
    assert.equal(sent[0].attrs.id, id);
    assert.equal(sent[0].attrs.to, from);
    return sent[0];
  }
  /** Sends a `<command/>` with these attributes and inner XML. */
  function command(from: string, attrs: Record<string, string>, inner = ""): Promise<Element> {
    const attributes = Object.entries(attrs).map(([k, v]) => ` ${k}="${v}"`).join("");
    return iq(from, "set", `<command xmlns="${NS_COMMANDS}"${attributes}>${inner}</command>`);
  }
  return {
    router,
    events,
    adhoc,
    iq,
    command,
    [Symbol.asyncDispose]: () => adhoc.close(),
  };
}

function form(fields: Record<string, string | string[]>): string {
  const inner = Object.entries(fields).map(([name, value]) =>
    `<field var="${name}">${
      (Array.isArray(value) ? value : [value]).map((v) => `<value>${v}</value>`).join("")
    }</field>`
  ).join("");
  return `<x xmlns="jabber:x:data" type="submit">${inner}</x>`;
}

function commandOf(reply: Element): Element {
  assert.equal(reply.attrs.type, "result", reply.toString());
  const command = reply.getChild("command", NS_COMMANDS);
  assert.ok(command, reply.toString());
  return command;
}

function applicationCondition(reply: Element): string | undefined {
  return reply.getChild("error")?.getChildElements().find((child) => child.getNS() === NS_COMMANDS)
    ?.name;
}

function nodesListed(reply: Element): string[] {
  return reply.getChild("query")!.getChildren("item").map((item) => item.attrs.node!);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("the commands feature is advertised on the gateway JID", async () => {
  await using gw = gateway();
  const reply = await gw.iq(
    ALICE_PHONE,
    "get",
    `<query xmlns="http://jabber.org/protocol/disco#info"/>`,
  );
  const features = reply.getChild("query")!.getChildren("feature").map((f) => f.attrs.var);
  assert.ok(features.includes(NS_COMMANDS), reply.toString());
});

Deno.test("the command list shows only what the requester may run", async () => {
  await using gw = gateway();
  const list = (from: string) =>
    gw.iq(
      from,
      "get",
      `<query xmlns="http://jabber.org/protocol/disco#items" node="${NS_COMMANDS}"/>`,
    );

  const forAlice = await list(ALICE_PHONE);
  assert.equal(forAlice.getChild("query")!.attrs.node, NS_COMMANDS);
  assert.deepEqual(nodesListed(forAlice), ["profile", "info", "down", "boom"]);
  const item = forAlice.getChild("query")!.getChildren("item")[0];
  assert.deepEqual(item.attrs, { jid: GW, node: "profile", name: "Edit profile" });

  assert.deepEqual(nodesListed(await list(`${ADMIN}/pc`)), [
    "profile",
    "list-users",
    "info",
    "down",
    "boom",
  ]);
  assert.deepEqual(nodesListed(await list(`${BOB}/pc`)), [
    "jabber:iq:register",
    "info",
    "down",
    "boom",
  ]);
  assert.deepEqual(nodesListed(await list(`${EVE}/pc`)), ["info", "down", "boom"]);
});

Deno.test("disco#info on a command node describes it as a command", async () => {
  await using gw = gateway();
  const reply = await gw.iq(
    ALICE_PHONE,
    "get",
    `<query xmlns="http://jabber.org/protocol/disco#info" node="profile"/>`,
  );
  const query = reply.getChild("query")!;
  assert.equal(query.attrs.node, "profile");
  assert.deepEqual(query.getChild("identity")!.attrs, {
    category: "automation",
    type: "command-node",
    name: "Edit profile",
  });
  assert.deepEqual(query.getChildren("feature").map((f) => f.attrs.var), [
    NS_COMMANDS,
    "jabber:x:data",
  ]);

  const list = await gw.iq(
    ALICE_PHONE,
    "get",
    `<query xmlns="http://jabber.org/protocol/disco#info" node="${NS_COMMANDS}"/>`,
  );
  assert.equal(list.getChild("query")!.getChild("identity")!.attrs.type, "command-list");
});

Deno.test("disco#info on an unknown node is item-not-found, on a forbidden one forbidden", async () => {
  await using gw = gateway();
  const unknown = await gw.iq(
    ALICE_PHONE,
    "get",
    `<query xmlns="http://jabber.org/protocol/disco#info" node="nope"/>`,
  );
  assert.equal(errorCondition(unknown), "item-not-found");
  const forbidden = await gw.iq(
    ALICE_PHONE,
    "get",
    `<query xmlns="http://jabber.org/protocol/disco#info" node="list-users"/>`,
  );
  assert.equal(errorCondition(forbidden), "forbidden");
  const unknownItems = await gw.iq(
    ALICE_PHONE,
    "get",
    `<query xmlns="http://jabber.org/protocol/disco#items" node="nope"/>`,
  );
  assert.equal(errorCondition(unknownItems), "item-not-found");
});

Deno.test("a two-step command runs to completion: next, complete, then a result", async () => {
  await using gw = gateway();
  const first = commandOf(await gw.command(ALICE_PHONE, { node: "profile", action: "execute" }));
  assert.equal(first.attrs.status, "executing");
  assert.equal(first.attrs.node, "profile");
  const sessionid = first.attrs.sessionid!;
  assert.ok(sessionid);
  assert.equal(
    first.getChild("actions")!.toString(),
    `<actions execute="next"><next/></actions>`,
  );
  const x = first.getChild("x", "jabber:x:data")!;
  assert.equal(x.attrs.type, "form");
  assert.equal(x.getChildText("title"), "Profile");

  const second = commandOf(
    await gw.command(
      ALICE_PHONE,
      { node: "profile", sessionid, action: "next" },
      form({ name: "Alice", colour: "green" }),
    ),
  );
  assert.equal(second.attrs.status, "executing");
  assert.equal(second.attrs.sessionid, sessionid);
  assert.equal(
    second.getChild("actions")!.toString(),
    `<actions execute="complete"><complete/></actions>`,
  );
  assert.equal(second.getChild("x")!.getChildText("title"), "Confirm");

  const done = commandOf(
    await gw.command(
      ALICE_PHONE,
      { node: "profile", sessionid, action: "complete" },
      form({ notify: "1", password: "hunter2" }),
    ),
  );
  assert.equal(done.attrs.status, "completed");
  assert.equal(done.getChild("actions"), undefined);
  assert.equal(done.getChild("note")!.toString(), `<note type="info">Saved Alice (green)</note>`);
  assert.equal(done.getChild("x")!.attrs.type, "result");
  assert.equal(done.getChild("x")!.getChildren("item").length, 3);

  assert.deepEqual(gw.events, [
    "start profile",
    `submit profile {"name":"Alice","colour":"green","token":"t-1"}`,
    `submit confirm {"notify":true,"password":"(given)"}`,
  ]);
  assert.equal(gw.adhoc.openSessions, 0);

  const late = await gw.command(ALICE_PHONE, { node: "profile", sessionid }, form({}));
  assert.equal(errorCondition(late), "not-allowed");
  assert.equal(applicationCondition(late), "session-expired");
});

Deno.test("a command that only has a result completes at once", async () => {
  await using gw = gateway();
  const done = commandOf(await gw.command(ALICE_PHONE, { node: "info" }));
  assert.equal(done.attrs.status, "completed");
  assert.equal(done.getChildText("note"), "A test gateway");
  assert.equal(gw.adhoc.openSessions, 0);
});

Deno.test("cancelling ends the session and calls the step's cancel", async () => {
  await using gw = gateway();
  const first = commandOf(await gw.command(ALICE_PHONE, { node: "profile" }));
  const sessionid = first.attrs.sessionid!;
  const canceled = commandOf(
    await gw.command(ALICE_PHONE, { node: "profile", sessionid, action: "cancel" }),
  );
  assert.equal(canceled.attrs.status, "canceled");
  assert.equal(canceled.attrs.sessionid, sessionid);
  assert.deepEqual(gw.events, ["start profile", "cancel profile"]);
  assert.equal(gw.adhoc.openSessions, 0);

  const again = await gw.command(ALICE_PHONE, { node: "profile", sessionid }, form({ name: "x" }));
  assert.equal(applicationCondition(again), "session-expired");
});

Deno.test("an idle session expires, its step is cancelled, and it answers session-expired", async () => {
  await using gw = gateway(20);
  const first = commandOf(await gw.command(ALICE_PHONE, { node: "profile" }));
  await sleep(80);
  assert.deepEqual(gw.events, ["start profile", "cancel profile"]);
  assert.equal(gw.adhoc.openSessions, 0);
  const late = await gw.command(
    ALICE_PHONE,
    { node: "profile", sessionid: first.attrs.sessionid! },
    form({ name: "Alice" }),
  );
  assert.equal(errorCondition(late), "not-allowed");
  assert.equal(applicationCondition(late), "session-expired");
  assert.equal(late.getChild("error")!.attrs.type, "cancel");
});

Deno.test("activity keeps a session alive past the timeout", async () => {
  await using gw = gateway(200);
  const first = commandOf(await gw.command(ALICE_PHONE, { node: "profile" }));
  const sessionid = first.attrs.sessionid!;
  await sleep(130);
  const bad = await gw.command(ALICE_PHONE, { node: "profile", sessionid }, form({}));
  assert.equal(errorCondition(bad), "bad-request");
  await sleep(130);
  const second = commandOf(
    await gw.command(ALICE_PHONE, { node: "profile", sessionid }, form({ name: "Al" })),
  );
  assert.equal(second.attrs.status, "executing");
});

Deno.test("another JID using someone's session id gets bad-sessionid", async () => {
  await using gw = gateway();
  const first = commandOf(await gw.command(ALICE_PHONE, { node: "profile" }));
  const sessionid = first.attrs.sessionid!;
  for (const intruder of [ALICE_LAPTOP, `${ADMIN}/pc`]) {
    const stolen = await gw.command(intruder, { node: "profile", sessionid }, form({ name: "x" }));
    assert.equal(errorCondition(stolen), "bad-request");
    assert.equal(applicationCondition(stolen), "bad-sessionid");
  }
  const unknown = await gw.command(ALICE_PHONE, { node: "profile", sessionid: "made-up" });
  assert.equal(applicationCondition(unknown), "bad-sessionid");
  const otherNode = await gw.command(ALICE_PHONE, { node: "info", sessionid });
  assert.equal(applicationCondition(otherNode), "bad-sessionid");
  // The owner's session is untouched.
  const second = commandOf(
    await gw.command(ALICE_PHONE, { node: "profile", sessionid }, form({ name: "Alice" })),
  );
  assert.equal(second.attrs.status, "executing");
  assert.deepEqual(gw.events.filter((e) => e.startsWith("cancel")), []);
});

Deno.test("bad input is a bad-request with the command's sentence and the form can be resubmitted", async () => {
  await using gw = gateway();
  const first = commandOf(await gw.command(ALICE_PHONE, { node: "profile" }));
  const sessionid = first.attrs.sessionid!;
  const refused = await gw.command(
    ALICE_PHONE,
    { node: "profile", sessionid },
    form({ name: "bad" }),
  );
  assert.equal(errorCondition(refused), "bad-request");
  assert.equal(errorText(refused), "Name: 'bad' is taken");
  assert.equal(gw.adhoc.openSessions, 1);

  const retried = commandOf(
    await gw.command(ALICE_PHONE, { node: "profile", sessionid }, form({ name: "good" })),
  );
  assert.equal(retried.attrs.status, "executing");
  assert.equal(retried.getChild("x")!.getChildText("title"), "Confirm");
});

Deno.test("a form missing a required field is bad-payload and keeps the session", async () => {
  await using gw = gateway();
  const first = commandOf(await gw.command(ALICE_PHONE, { node: "profile" }));
  const sessionid = first.attrs.sessionid!;
  const refused = await gw.command(
    ALICE_PHONE,
    { node: "profile", sessionid, action: "next" },
    form({ colour: "purple" }),
  );
  assert.equal(errorCondition(refused), "bad-request");
  assert.equal(applicationCondition(refused), "bad-payload");
  assert.equal(errorText(refused), "Name: a value is required");
  const noForm = await gw.command(ALICE_PHONE, { node: "profile", sessionid });
  assert.equal(errorText(noForm), "Name: a value is required");
  assert.equal(gw.adhoc.openSessions, 1);
  assert.deepEqual(gw.events, ["start profile"]);
});

Deno.test("a command the caller may not run cannot be executed, even by node", async () => {
  await using gw = gateway();
  const adminOnly = await gw.command(ALICE_PHONE, { node: "list-users" });
  assert.equal(errorCondition(adminOnly), "forbidden");
  assert.equal(errorText(adminOnly), "Only administrators of the gateway may run 'List users'");
  const registeredOnly = await gw.command(`${EVE}/x`, { node: "profile" });
  assert.equal(errorCondition(registeredOnly), "forbidden");
  const unknown = await gw.command(ALICE_PHONE, { node: "nope" });
  assert.equal(errorCondition(unknown), "item-not-found");

  const table = commandOf(await gw.command(`${ADMIN}/pc`, { node: "list-users" }));
  assert.equal(table.attrs.status, "completed");
  assert.equal(table.getChild("x")!.getChildren("item").length, 2);
});

Deno.test("command errors map to stanza errors; internal ones hide their details", async () => {
  await using gw = gateway();
  const down = await gw.command(ALICE_PHONE, { node: "down" });
  assert.equal(errorCondition(down), "service-unavailable");
  assert.equal(errorText(down), "Messenger cannot be reached for now");

  const boom = await gw.command(ALICE_PHONE, { node: "boom" });
  assert.equal(errorCondition(boom), "internal-server-error");
  assert.doesNotMatch(boom.toString(), /hunter2|exploded/);
  assert.match(errorText(boom)!, /administrator/);

  const first = commandOf(await gw.command(ALICE_PHONE, { node: "profile" }));
  const sessionid = first.attrs.sessionid!;
  const notFound = await gw.command(
    ALICE_PHONE,
    { node: "profile", sessionid },
    form({ name: "nobody" }),
  );
  assert.equal(errorCondition(notFound), "item-not-found");
  assert.equal(errorText(notFound), "No such person");
  // Any failure other than bad input ends the session.
  assert.equal(gw.adhoc.openSessions, 0);
  assert.ok(gw.events.includes("cancel profile"));
});

Deno.test("unknown actions and going back are refused with the XEP-0050 conditions", async () => {
  await using gw = gateway();
  const malformed = await gw.command(ALICE_PHONE, { node: "profile", action: "jump" });
  assert.equal(errorCondition(malformed), "bad-request");
  assert.equal(applicationCondition(malformed), "malformed-action");

  const first = commandOf(await gw.command(ALICE_PHONE, { node: "profile" }));
  const prev = await gw.command(ALICE_PHONE, {
    node: "profile",
    sessionid: first.attrs.sessionid!,
    action: "prev",
  });
  assert.equal(applicationCondition(prev), "bad-action");

  const nextWithoutSession = await gw.command(ALICE_PHONE, { node: "profile", action: "next" });
  assert.equal(applicationCondition(nextWithoutSession), "bad-action");
});

Deno.test("a step that is still running refuses a second submission", async () => {
  const { router, sent } = recordingRouter();
  let release = () => {};
  const adhoc = registerAdhocCommands(router, {
    domain: GW,
    caller: testCaller,
    commands: () => [{
      node: "slow",
      name: "Slow",
      help: "Takes time",
      access: "anyone",
      start: () => ({
        kind: "form",
        title: "Slow",
        fields: [],
        submit: () =>
          new Promise((resolve) => (release = () => resolve({ kind: "result", note: "ok" }))),
      }),
    }],
  });
  try {
    await router.handle(
      parse(
        `<iq type="set" id="a" from="${ALICE_PHONE}" to="${GW}"><command xmlns="${NS_COMMANDS}" node="slow"/></iq>`,
      ),
    );
    const sessionid = sent[0].getChild("command")!.attrs.sessionid!;
    const submit = (id: string) =>
      router.handle(
        parse(
          `<iq type="set" id="${id}" from="${ALICE_PHONE}" to="${GW}"><command xmlns="${NS_COMMANDS}" node="slow" sessionid="${sessionid}"/></iq>`,
        ),
      );
    const firstSubmit = submit("b");
    await submit("c");
    assert.equal(errorCondition(sent.find((s) => s.attrs.id === "c")!), "unexpected-request");
    release();
    await firstSubmit;
    assert.equal(
      sent.find((s) => s.attrs.id === "b")!.getChild("command")!.attrs.status,
      "completed",
    );
  } finally {
    await adhoc.close();
  }
});

Deno.test("closing cancels the open sessions", async () => {
  const gw = gateway();
  await gw.command(ALICE_PHONE, { node: "profile" });
  await gw.adhoc.close();
  assert.deepEqual(gw.events, ["start profile", "cancel profile"]);
  assert.equal(gw.adhoc.openSessions, 0);
});

Deno.test("a password submitted in a form never reaches the log", async () => {
  const records: LogRecord[] = [];
  configureLogging("debug", { sink: (record) => records.push(record) });
  try {
    await using gw = gateway();
    const first = commandOf(await gw.command(ALICE_PHONE, { node: "profile" }));
    const sessionid = first.attrs.sessionid!;
    await gw.command(ALICE_PHONE, { node: "profile", sessionid }, form({ name: "Alice" }));
    await gw.command(
      ALICE_PHONE,
      { node: "profile", sessionid },
      form({ notify: "yes-please", password: "hunter2-private" }),
    );
    await gw.command(
      ALICE_PHONE,
      { node: "profile", sessionid },
      form({ notify: "1", password: "hunter2-private" }),
    );
  } finally {
    resetSync();
  }
  assert.ok(records.length > 0);
  for (const record of records) {
    assert.doesNotMatch(formatRecord(record, false), /hunter2-private/);
  }
});
