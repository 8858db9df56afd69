import assert from "node:assert/strict";
import { registerChatCommands } from "../../src/xmpp/chat_commands.ts";
import { renderTextTable } from "../../src/xmpp/text_table.ts";
import { type Element, xml } from "../../src/xmpp/xml.ts";
import { recordingRouter } from "./_stanzas.ts";
import { ADMIN, ALICE, BOB, EVE, testCaller, testCommands } from "./_test_commands.ts";

const GW = "facebook.example.org";
const ALICE_PHONE = `${ALICE}/phone`;

/** A router with the chat interface over the test commands; dispose it to close. */
function gateway(sessionTimeoutMs?: number) {
  const { router, sent } = recordingRouter();
  const { commands, events } = testCommands();
  const chat = registerChatCommands(router, {
    domain: GW,
    commands: () => commands,
    caller: testCaller,
    send: (stanza) => void sent.push(stanza),
    sessionTimeoutMs,
  });
  /** Sends a message to the gateway and returns the bodies of the replies. */
  async function say(from: string, body: string, type = "chat"): Promise<string[]> {
    sent.length = 0;
    await router.handle(xml("message", { type, from, to: GW, id: "m" }, xml("body", {}, body)));
    for (const reply of sent) {
      assert.deepEqual(
        { name: reply.name, type: reply.attrs.type, from: reply.attrs.from, to: reply.attrs.to },
        { name: "message", type: "chat", from: GW, to: from },
        reply.toString(),
      );
    }
    return sent.map((reply: Element) => reply.getChildText("body") ?? "");
  }
  /** Says something and expects exactly one reply, returned. */
  async function ask(from: string, body: string): Promise<string> {
    const replies = await say(from, body);
    assert.equal(replies.length, 1, JSON.stringify(replies));
    return replies[0];
  }
  return { router, sent, events, chat, say, ask, [Symbol.asyncDispose]: () => chat.close() };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("help lists the commands the sender may run, with their help sentence", async () => {
  await using gw = gateway();
  const forAlice = await gw.ask(ALICE_PHONE, "help");
  assert.match(forAlice, /^Commands you can send:\nprofile: Change your name and colour\ninfo: /);
  assert.doesNotMatch(forAlice, /users|register/);
  assert.match(forAlice, /'abort'/);

  assert.match(await gw.ask(`${ADMIN}/pc`, "Help"), /\nusers: List the registered users\n/);
  assert.match(await gw.ask(`${BOB}/pc`, "help"), /\nregister: Register with the gateway\n/);
});

Deno.test("a two-step command is asked one field at a time and ends with its result", async () => {
  await using gw = gateway();
  assert.equal(
    await gw.ask(ALICE_PHONE, "profile"),
    [
      "Profile",
      "Who are you?",
      "Two short questions",
      "(Send 'abort' at any time to stop.)",
      "",
      "(1/2) Name",
    ].join("\n"),
  );
  assert.equal(
    await gw.ask(ALICE_PHONE, "Alice"),
    [
      "(2/2) Colour (optional, send 'skip')",
      "Your favourite",
      "Current value: Red (send 'skip' to keep it)",
      "1. Red",
      "2. Green",
      "3. Blue",
      "Answer with a number or a choice.",
    ].join("\n"),
  );
  const confirm = await gw.ask(ALICE_PHONE, "2");
  assert.match(confirm, /^Confirm\nSave the profile of Alice\?\n/);
  assert.match(
    confirm,
    /\(1\/2\) Notify me\nCurrent value: no \(send 'skip' to keep it\)\nAnswer yes or no\.$/,
  );

  const password = await gw.ask(ALICE_PHONE, "yes");
  assert.match(password, /^\(2\/2\) Password \(optional, send 'skip'\)\nTo confirm it is you\n/);
  assert.match(password, /less private than a form/);

  const result = await gw.ask(ALICE_PHONE, "hunter2");
  assert.equal(
    result,
    [
      "Saved Alice (green)",
      "",
      "```",
      "Setting  Value",
      "-------  -----",
      "name     Alice",
      "colour   green",
      "notify   yes",
      "```",
    ].join("\n"),
  );
  assert.deepEqual(gw.events, [
    "start profile",
    `submit profile {"name":"Alice","colour":"green","token":"t-1"}`,
    `submit confirm {"notify":true,"password":"(given)"}`,
  ]);
  assert.equal(gw.chat.openDialogues, 0);
});

Deno.test("skip keeps the current value or leaves an optional field empty", async () => {
  await using gw = gateway();
  await gw.ask(ALICE_PHONE, "profile");
  await gw.ask(ALICE_PHONE, "Alice");
  await gw.ask(ALICE_PHONE, "skip");
  await gw.ask(ALICE_PHONE, "SKIP");
  assert.match(await gw.ask(ALICE_PHONE, "skip"), /^Saved Alice \(red\)/);
  assert.deepEqual(gw.events.slice(1), [
    `submit profile {"name":"Alice","colour":"red","token":"t-1"}`,
    `submit confirm {"notify":false}`,
  ]);
});

Deno.test("a required field without value cannot be skipped", async () => {
  await using gw = gateway();
  await gw.ask(ALICE_PHONE, "profile");
  assert.equal(
    await gw.ask(ALICE_PHONE, "skip"),
    "Name: a value is required, it cannot be skipped\n\n(1/2) Name",
  );
});

Deno.test("abort cancels the command in progress", async () => {
  await using gw = gateway();
  await gw.ask(ALICE_PHONE, "profile");
  await gw.ask(ALICE_PHONE, "Alice");
  assert.equal(await gw.ask(ALICE_PHONE, " Abort "), "Aborted 'profile'");
  assert.deepEqual(gw.events, ["start profile", "cancel profile"]);
  assert.equal(gw.chat.openDialogues, 0);
  assert.equal(await gw.ask(ALICE_PHONE, "abort"), "Nothing to abort: no command is in progress");
});

Deno.test("an unknown word gets a chat reply pointing to help", async () => {
  await using gw = gateway();
  assert.equal(
    await gw.ask(ALICE_PHONE, "hello there"),
    "Unknown command 'hello'. Send 'help' for the list.",
  );
  assert.equal(gw.sent[0].getChild("error"), undefined);
});

Deno.test("a wrong answer is explained and the same field asked again", async () => {
  await using gw = gateway();
  await gw.ask(ALICE_PHONE, "profile");
  await gw.ask(ALICE_PHONE, "Alice");
  assert.match(
    await gw.ask(ALICE_PHONE, "7"),
    /^Colour: '7' is not one of the choices \(red, green, blue\)\n\n\(2\/2\) Colour/,
  );
  await gw.ask(ALICE_PHONE, "blue");
  assert.match(
    await gw.ask(ALICE_PHONE, "maybe"),
    /^Notify me: answer yes or no\n\n\(1\/2\) Notify me/,
  );
  await gw.ask(ALICE_PHONE, "n");
  assert.match(await gw.ask(ALICE_PHONE, "skip"), /^Saved Alice \(blue\)/);
});

Deno.test("a list answer may be the choice's value or label in any case", async () => {
  await using gw = gateway();
  await gw.ask(ALICE_PHONE, "profile");
  await gw.ask(ALICE_PHONE, "Alice");
  await gw.ask(ALICE_PHONE, "GREEN");
  assert.equal(gw.events[1], `submit profile {"name":"Alice","colour":"green","token":"t-1"}`);
});

Deno.test("bad input from the command re-asks the form with the answers as current values", async () => {
  await using gw = gateway();
  await gw.ask(ALICE_PHONE, "profile");
  await gw.ask(ALICE_PHONE, "bad");
  assert.equal(
    await gw.ask(ALICE_PHONE, "3"),
    "Name: 'bad' is taken\n\n(1/2) Name\nCurrent value: bad (send 'skip' to keep it)",
  );
  assert.match(await gw.ask(ALICE_PHONE, "good"), /^\(2\/2\) Colour .*\n.*\nCurrent value: Blue /);
  assert.match(await gw.ask(ALICE_PHONE, "skip"), /^Confirm\n/);
  assert.equal(gw.events.at(-1), `submit profile {"name":"good","colour":"blue","token":"t-1"}`);
});

Deno.test("other command errors are a sentence and end the dialogue", async () => {
  await using gw = gateway();
  assert.equal(
    await gw.ask(ALICE_PHONE, "down"),
    "'down' failed: Messenger cannot be reached for now",
  );
  const boom = await gw.ask(ALICE_PHONE, "boom");
  assert.match(boom, /^'boom' failed: .*administrator/);
  assert.doesNotMatch(boom, /hunter2|exploded/);

  await gw.ask(ALICE_PHONE, "profile");
  await gw.ask(ALICE_PHONE, "nobody");
  assert.equal(await gw.ask(ALICE_PHONE, "skip"), "'profile' failed: No such person");
  assert.equal(gw.chat.openDialogues, 0);
  assert.ok(gw.events.includes("cancel profile"));
});

Deno.test("a command the sender may not run is refused with the reason", async () => {
  await using gw = gateway();
  assert.equal(
    await gw.ask(ALICE_PHONE, "users"),
    "Only administrators of the gateway may run 'List users'",
  );
  assert.equal(
    await gw.ask(`${EVE}/x`, "profile"),
    "'Edit profile' is for registered users: register with the gateway first",
  );
  assert.equal(
    await gw.ask(ALICE_PHONE, "register"),
    "'Register' is only for users who have not registered yet",
  );
  const table = await gw.ask(`${ADMIN}/pc`, "users");
  assert.equal(
    table,
    [
      "```",
      "JID                Since",
      "-----------------  -----",
      "alice@example.org  2024",
      "admin@example.org  2023",
      "```",
    ].join("\n"),
  );
});

Deno.test("a JID answer is checked and normalised", async () => {
  await using gw = gateway();
  assert.match(await gw.ask(`${BOB}/pc`, "register"), /Friend\nAnswer with an XMPP address/);
  assert.match(
    await gw.ask(`${BOB}/pc`, "not a jid"),
    /^Friend: 'not a jid' is not a valid XMPP address\n\nFriend/,
  );
  assert.equal(
    await gw.ask(`${BOB}/pc`, "Carol@Example.org"),
    "Registered with carol@example.org",
  );
});

Deno.test("an expired dialogue is cancelled and a late answer is not taken as a command", async () => {
  await using gw = gateway(20);
  await gw.ask(ALICE_PHONE, "profile");
  await sleep(80);
  assert.deepEqual(gw.events, ["start profile", "cancel profile"]);
  assert.equal(gw.chat.openDialogues, 0);
  const late = await gw.ask(ALICE_PHONE, "my-secret-name");
  assert.match(late, /^Your 'profile' command expired after 1 min without an answer/);
  assert.doesNotMatch(late, /my-secret-name/);
  assert.equal(
    await gw.ask(ALICE_PHONE, "again"),
    "Unknown command 'again'. Send 'help' for the list.",
  );
});

Deno.test("each full JID has its own dialogue", async () => {
  await using gw = gateway();
  await gw.ask(ALICE_PHONE, "profile");
  assert.match(await gw.ask(`${ALICE}/laptop`, "info"), /^A test gateway$/);
  assert.match(await gw.ask(ALICE_PHONE, "Alice"), /^\(2\/2\) Colour/);
});

Deno.test("messages without a body, or not chat or normal, get no reply", async () => {
  await using gw = gateway();
  assert.deepEqual(await gw.say(ALICE_PHONE, "help", "groupchat"), []);
  assert.deepEqual(await gw.say(ALICE_PHONE, "help", "headline"), []);
  assert.deepEqual(await gw.say(ALICE_PHONE, "   "), []);
  gw.sent.length = 0;
  await gw.router.handle(
    xml(
      "message",
      { type: "chat", from: ALICE_PHONE, to: GW },
      xml("active", {
        xmlns: "http://jabber.org/protocol/chatstates",
      }),
    ),
  );
  assert.equal(gw.sent.length, 0);
  assert.equal((await gw.say(ALICE_PHONE, "help", "normal")).length, 1);
});

Deno.test("messages from one user are handled in order", async () => {
  await using gw = gateway();
  gw.sent.length = 0;
  const message = (body: string) =>
    gw.router.handle(
      xml("message", { type: "chat", from: ALICE_PHONE, to: GW }, xml("body", {}, body)),
    );
  await Promise.all([message("profile"), message("Alice"), message("green")]);
  assert.match(gw.sent.at(-1)!.getChildText("body")!, /^Confirm\n/);
});

Deno.test("closing cancels the dialogues in progress", async () => {
  const gw = gateway();
  await gw.ask(ALICE_PHONE, "profile");
  await gw.chat.close();
  assert.deepEqual(gw.events, ["start profile", "cancel profile"]);
});

Deno.test("an empty table says so", () => {
  assert.equal(
    renderTextTable({ columns: [{ name: "a", label: "Name" }], rows: [] }),
    "```\nName\n----\n(none)\n```",
  );
});
