import assert from "node:assert/strict";
import type { FormStep } from "../../../src/gateway/command.ts";
import { getUser } from "../../../src/store/user_records.ts";
import {
  ADMIN,
  ALICE,
  CAROL,
  gatewayFixture,
  noteOf,
  PASSWORDS,
  rejectsWith,
  submit,
  waitUntil,
} from "./_fixture.ts";

Deno.test("preferences: keeping the password needs it once; turning it off deletes it", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(CAROL, "carol");
  const form = await f.start("preferences", CAROL) as FormStep;
  assert.deepEqual(form.fields.map((field) => [field.name, field.value]), [
    ["save_password", false],
    ["login_notices", true],
    ["email", undefined],
    ["password", undefined],
  ]);
  await rejectsWith(submit(form, { save_password: true }), "bad_input", /also give your/);
  const done = await submit(form, {
    save_password: true,
    email: "carol@example.com",
    password: PASSWORDS.carol,
  });
  assert.match(noteOf(done), /^Your Messenger password is kept/);
  const saved = (await getUser(f.kv, CAROL))?.savedLogin;
  assert.equal(saved?.email, "carol@example.com");
  assert.equal(saved?.password.reveal(), PASSWORDS.carol);

  // Saved now: the form no longer asks for it.
  const again = await f.start("preferences", CAROL) as FormStep;
  assert.deepEqual(again.fields.map((field) => field.name), ["save_password", "login_notices"]);
  await submit(again, { save_password: false });
  const record = await getUser(f.kv, CAROL);
  assert.equal(record?.savedLogin, undefined);
  assert.ok(!JSON.stringify(record).includes(PASSWORDS.carol));
});

Deno.test("login_notices off: a refused login is shown in the status but not explained in chat", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  // Messenger ends the session (as when Facebook revokes it): the user must log in again.
  const expire = async () => {
    f.network.control.addFaults("100001", { kind: "expire_session" });
    await waitUntil(
      () => f.gateway.session(ALICE)?.state.status === "needs_reauth",
      "the session to need re-authentication",
    );
  };

  const explanations = () =>
    f.port.messages(ALICE).filter((text) => text.startsWith("Needs re-auth")).length;
  await expire();
  // The explanation follows the state change (after the status and the contacts' presences).
  await waitUntil(() => explanations() === 1, "the explanation while login_notices is on");

  await f.run("preferences", ALICE, { login_notices: false });
  await f.run("re-login", ALICE); // cookies still good: connected again
  assert.equal(f.gateway.session(ALICE)?.state.status, "connected");
  await expire();
  const statuses = () =>
    f.port.calls.flatMap((call) =>
      call.kind === "gatewayPresence" && call.user === ALICE ? [call.presence.status] : []
    );
  await waitUntil(
    () => /^Needs re-authentication/.test(statuses().at(-1) ?? ""),
    "the status to say so",
  );
  // Give an explanation the time it would take to arrive (it never should).
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(explanations(), 1, "no new explanation with login_notices off");
});

Deno.test("re-login: nothing to do when connected; logs in again with the saved session", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  assert.equal(
    noteOf(await f.run("re-login", ALICE)),
    "You are already connected to Messenger as Alice Example: nothing to do",
  );
  f.network.control.addFaults("100001", { kind: "expire_session" });
  await waitUntil(() => f.gateway.session(ALICE)?.state.status === "needs_reauth");
  assert.equal(
    noteOf(await f.run("re-login", ALICE)),
    "Logged in to Messenger again as Alice Example",
  );
  assert.equal(f.gateway.session(ALICE)?.state.status, "connected");
});

Deno.test("re-login falls back once to the saved password, and explains when there is none", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  f.network.control.addFaults("100001", { kind: "expire_session" });
  await waitUntil(() => f.gateway.session(ALICE)?.state.status === "needs_reauth");
  f.network.control.addFaults("100001", { kind: "fail", method: "login", code: "auth_failed" });
  await rejectsWith(
    f.run("re-login", ALICE),
    "not_authorized",
    /^Needs re-authentication: .*Run 'register' again with your password or fresh cookies/,
  );

  await f.run("preferences", ALICE, {
    save_password: true,
    email: "alice@example.com",
    password: PASSWORDS.alice,
  });
  const since = f.network.control.operations("100001").next;
  f.network.control.addFaults("100001", { kind: "fail", method: "login", code: "auth_failed" });
  assert.match(
    noteOf(await f.run("re-login", ALICE)),
    /logged in with your saved password: connected as Alice Example$/,
  );
  const logins = f.network.control.operations("100001", since).operations
    .filter((op) => op.method === "login")
    .map((op) => `${op.method === "login" ? op.via : ""} ${op.error ?? "ok"}`);
  assert.deepEqual(logins, ["cookies auth_failed", "password ok"]);
  await waitUntil(() => f.gateway.session(ALICE)?.state.status === "connected");
});

Deno.test("unregister asks for confirmation, then leaves no data behind", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  assert.equal(
    noteOf(await f.run("unregister", ALICE, {})),
    "Nothing changed: you are still registered",
  );
  assert.equal(f.gateway.isRegistered(ALICE), true);
  assert.match(
    noteOf(await f.run("unregister", ALICE, { confirm: true })),
    /^You are unregistered/,
  );
  assert.equal(f.gateway.isRegistered(ALICE), false);
  assert.deepEqual(await f.keys(), []);
  const removed = f.port.calls.find((call) => call.kind === "removeContacts");
  assert.deepEqual(removed, {
    kind: "removeContacts",
    user: ALICE,
    contacts: ["200001", "200002"],
  });
  assert.ok(f.port.messages(ADMIN).includes(`${ALICE} has unregistered (user)`));
});
