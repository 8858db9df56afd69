import assert from "node:assert/strict";
import type { FormStep } from "../../../src/gateway/command.ts";
import { contactJidFor, findUsers } from "../../../src/gateway/commands/find.ts";
import { gatewayCommands } from "../../../src/gateway/commands/mod.ts";
import { mayRun } from "../../../src/gateway/command.ts";
import { asUserId } from "../../../src/messenger/ids.ts";
import type { UserInfo } from "../../../src/messenger/session.ts";
import {
  ADMIN,
  ALICE,
  BOB,
  DOMAIN,
  EVE,
  gatewayFixture,
  noteOf,
  rejectsWith,
  rowsOf,
  submit,
  waitUntil,
} from "./_fixture.ts";

Deno.test("the command list: unique nodes and chat words, each shown only to who may run it", async () => {
  await using f = await gatewayFixture();
  const commands = gatewayCommands(f.ctx);
  const nodes = commands.map((command) => command.node);
  assert.equal(new Set(nodes).size, nodes.length);
  const words = commands.map((command) => command.chatName ?? command.node);
  assert.equal(new Set(words).size, words.length);
  await f.registerUser(ALICE, "alice");
  const runnable = (jid: string) =>
    commands.filter((command) => mayRun(command.access, f.caller(jid))).map((c) => c.node);
  assert.deepEqual(runnable(EVE), ["info"]);
  assert.deepEqual(runnable(BOB), ["jabber:iq:register", "info"]);
  assert.deepEqual(runnable(ALICE), [
    "jabber:iq:register",
    "info",
    "contacts",
    "groups",
    "create-group",
    "leave-group",
    "find",
    "message-requests",
    "sync-contacts",
    "re-login",
    "preferences",
    "unregister",
  ]);
  assert.deepEqual(runnable(ADMIN), [
    "jabber:iq:register",
    "info",
    "list-users",
    "delete-user",
    "log-level",
    "statistics",
  ]);
});

Deno.test("info tells the unregistered how to register, and the registered their state", async () => {
  await using f = await gatewayFixture();
  const before = await f.run("info", BOB);
  assert.match(noteOf(before), /^You are not registered with Test gateway: run 'register'/);
  assert.deepEqual(rowsOf(before), [
    { what: "Gateway", value: "messenger-gateway 9.9.9" },
    { what: "Messenger connection", value: "simulated" },
  ]);
  assert.match(noteOf(await f.run("info", EVE)), /not allowed to register/);

  await f.registerUser(ALICE, "alice");
  const after = await f.run("info", ALICE);
  assert.equal(noteOf(after), "Connected as Alice Example");
  const rows = Object.fromEntries(rowsOf(after).map((row) => [row.what, row.value]));
  assert.equal(rows["Login"], "Connected as Alice Example");
  assert.equal(rows["Messenger account"], "Alice Example (id 100001)");
  assert.equal(rows["Contacts"], "2");
  assert.match(rows["Registered"], /^\d{4}-\d\d-\d\dT/);
  assert.match(rows["Preferences"], /password is not kept/);
});

Deno.test("contacts lists the friends with their JIDs; groups the group threads as room JIDs", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  const contacts = await f.run("contacts", ALICE);
  assert.equal(noteOf(contacts), "2 Messenger contacts");
  assert.deepEqual(rowsOf(contacts), [
    { name: "Bob Builder", jid: `200002@${DOMAIN}` },
    { name: "Echo Bot", jid: `200001@${DOMAIN}` },
  ]);
  const groups = await f.run("groups", ALICE);
  assert.equal(noteOf(groups), "1 group: join a room address as a group chat");
  assert.deepEqual(rowsOf(groups), [
    { name: "Hiking club", jid: `900001@${DOMAIN}`, members: "3" },
  ]);
});

Deno.test("find searches Messenger users by name and answers contact JIDs", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  const form = await f.start("find", ALICE) as FormStep;
  assert.deepEqual(form.fields.map((field) => [field.name, field.required]), [["query", true]]);
  const found = await submit(form, { query: "danger" });
  assert.equal(noteOf(found), "1 person matches 'danger'");
  assert.deepEqual(rowsOf(found), [
    { name: "Stranger Danger", jid: `300001@${DOMAIN}`, friend: "no" },
  ]);
  assert.equal(
    noteOf(await submit(form, { query: "nobody-like-this" })),
    "Nobody on Messenger matches 'nobody-like-this'",
  );
  await rejectsWith(submit(form, { query: "  " }), "bad_input", /give a name/);

  // The same lookups serve XEP-0055 and XEP-0100.
  assert.deepEqual(await findUsers(f.ctx, ALICE, "echo"), [
    { name: "Echo Bot", jid: `200001@${DOMAIN}`, isFriend: true },
  ]);
  assert.equal(await contactJidFor(f.ctx, ALICE, "echo bot"), `200001@${DOMAIN}`);
  assert.equal(await contactJidFor(f.ctx, BOB, "123456789"), `123456789@${DOMAIN}`);
  assert.equal(await contactJidFor(f.ctx, ALICE, "nobody-like-this"), null);
  await rejectsWith(contactJidFor(f.ctx, BOB, "Echo Bot"), "registration_required");
});

Deno.test("find: when the search does not say who is a friend, the friend list does", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  // Like fca's search: people without a friend flag.
  const messenger = f.gateway.session(ALICE)!.messenger! as unknown as {
    searchUsers: (query: string) => Promise<UserInfo[]>;
  };
  messenger.searchUsers = () =>
    Promise.resolve([
      { id: asUserId("200001"), name: "Echo Bot" },
      { id: asUserId("300001"), name: "Stranger Danger" },
    ]);
  assert.deepEqual(await findUsers(f.ctx, ALICE, "e"), [
    { name: "Echo Bot", jid: `200001@${DOMAIN}`, isFriend: true },
    { name: "Stranger Danger", jid: `300001@${DOMAIN}`, isFriend: false },
  ]);
});

Deno.test("sync-contacts fetches the friends again and pushes them to the roster", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  const pushes = () => f.port.calls.filter((call) => call.kind === "addContacts").length;
  const before = pushes();
  assert.equal(
    noteOf(await f.run("sync-contacts", ALICE)),
    "Synchronised 2 Messenger contacts with your roster",
  );
  assert.equal(pushes(), before + 1);
});

Deno.test("a missing capability and a Messenger failure become clear sentences, never raw errors", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  const messenger = f.gateway.session(ALICE)!.messenger!;
  Object.defineProperty(messenger, "createGroup", { value: undefined, configurable: true });
  await rejectsWith(
    f.start("create-group", ALICE),
    "unavailable",
    /^This Messenger connection cannot create groups$/,
  );
  f.network.control.addFaults("100001", {
    kind: "fail",
    method: "searchUsers",
    code: "rate_limited",
    message: "internal detail https://example.com/?token=abc",
  });
  const sentence = await rejectsWith(
    f.run("find", ALICE, { query: "echo" }),
    "unavailable",
    /^Messenger asks to slow down/,
  );
  assert.ok(!sentence.includes("token"));
});

Deno.test("commands needing Messenger say so when the session is not logged in", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  f.network.control.addFaults("100001", { kind: "expire_session" });
  await waitUntil(() => f.gateway.session(ALICE)?.state.status === "needs_reauth");
  for (const node of ["create-group", "find", "sync-contacts"]) {
    await rejectsWith(
      f.start(node, ALICE),
      "unavailable",
      /not logged in to Messenger right now \(Needs re-authentication/,
    );
  }
  // Contacts and groups known from the last sync are still listed.
  assert.equal(rowsOf(await f.run("contacts", ALICE)).length, 2);
  assert.equal(rowsOf(await f.run("groups", ALICE)).length, 1);
});
