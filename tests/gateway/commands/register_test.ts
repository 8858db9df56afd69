import { Secret } from "../../../src/secret.ts";
import assert from "node:assert/strict";
import type { FormStep } from "../../../src/gateway/command.ts";
import { registerInOneStep } from "../../../src/gateway/commands/registration.ts";
import { RegistrationRefused } from "../../../src/gateway/gateway.ts";
import { getUser } from "../../../src/store/user_records.ts";
import {
  ADMIN,
  ALICE,
  BOB,
  CAROL,
  DAVE,
  EVE,
  gatewayFixture,
  noteOf,
  PASSWORDS,
  rejectsWith,
  submit,
  waitUntil,
} from "./_fixture.ts";

const REGISTER = "jabber:iq:register";

Deno.test("a password registration stores only the session, welcomes the user and tells admins", async () => {
  await using f = await gatewayFixture();
  const first = await f.start(REGISTER, ALICE);
  assert.equal(first.kind, "form");
  assert.deepEqual((first as FormStep).fields.map((field) => field.name), [
    "email",
    "password",
    "cookies",
  ]);
  const prefs = await submit(first as FormStep, {
    email: "alice@example.com",
    password: PASSWORDS.alice,
  });
  assert.equal(prefs.kind, "form");
  assert.equal((prefs as FormStep).title, "Preferences");
  assert.match((prefs as FormStep).instructions ?? "", /logged in to Messenger as Alice Example/);
  // The password just used is known: the form does not ask for it again.
  assert.deepEqual((prefs as FormStep).fields.map((field) => field.name), [
    "save_password",
    "login_notices",
  ]);
  const done = await submit(prefs as FormStep, {});
  assert.match(noteOf(done), /^Registration completed: welcome, Alice Example!/);

  const record = await getUser(f.kv, ALICE);
  assert.ok(record?.messengerSession, "the Messenger session is stored");
  assert.equal(record.savedLogin, undefined, "the password is not kept by default");
  assert.deepEqual(record.preferences, { save_password: false, login_notices: true });
  assert.ok(!JSON.stringify(record).includes(PASSWORDS.alice));
  await waitUntil(() => f.gateway.session(ALICE)?.state.status === "connected");
  assert.match(f.port.messages(ALICE)[0], /^Welcome to Test gateway!/);
  assert.deepEqual(f.port.messages(ADMIN), [`${ALICE} has registered`]);
});

Deno.test("two-factor registration re-asks after a wrong code, then keeps the password when asked", async () => {
  await using f = await gatewayFixture();
  const code = await f.run(REGISTER, BOB, {
    email: "bob@example.com",
    password: PASSWORDS.bob,
  }) as FormStep;
  assert.equal(code.kind, "form");
  assert.deepEqual(code.fields.map((field) => field.name), ["code"]);
  assert.equal(await getUser(f.kv, BOB), null, "nothing is stored before the code");

  await rejectsWith(submit(code, { code: "000000" }), "bad_input", /did not accept this code/);
  assert.equal(f.gateway.isRegistered(BOB), false);
  const prefs = await submit(code, { code: " 123456 " }) as FormStep;
  assert.equal(prefs.title, "Preferences");
  const done = await submit(prefs, { save_password: true });
  assert.match(noteOf(done), /welcome, Bob Twofactor!.*password is kept/);
  const record = await getUser(f.kv, BOB);
  assert.equal(record?.savedLogin?.email, "bob@example.com");
  assert.equal(record?.savedLogin?.password.reveal(), PASSWORDS.bob);
  assert.equal(record?.preferences.save_password, true);
});

Deno.test("cancelling at the code step cancels the login and stores nothing", async () => {
  await using f = await gatewayFixture();
  const code = await f.run(REGISTER, BOB, {
    email: "bob@example.com",
    password: PASSWORDS.bob,
  }) as FormStep;
  await code.cancel?.();
  assert.deepEqual(await f.keys(), []);
  assert.equal(f.gateway.isRegistered(BOB), false);
});

Deno.test("a wrong password is not_authorized with a sentence, and nothing is stored", async () => {
  await using f = await gatewayFixture();
  const sentence = await rejectsWith(
    f.run(REGISTER, ALICE, { email: "alice@example.com", password: "wrong battery" }),
    "not_authorized",
    /^Messenger refused these credentials/,
  );
  assert.ok(!sentence.includes("wrong battery"));
  assert.deepEqual(await f.keys(), []);
  assert.equal(f.gateway.isRegistered(ALICE), false);
  assert.deepEqual(f.port.messages(ADMIN), []);
});

Deno.test("a checkpointed account is explained: what to do in a browser", async () => {
  await using f = await gatewayFixture();
  await rejectsWith(
    f.run(REGISTER, DAVE, { email: "dave@example.com", password: PASSWORDS.dave }),
    "not_authorized",
    /security check: log in at facebook\.com in a browser/,
  );
  assert.deepEqual(await f.keys(), []);
});

Deno.test("a disallowed JID is refused on every registration path", async () => {
  await using f = await gatewayFixture();
  const register = f.command(REGISTER);
  const eve = f.caller(EVE);
  assert.equal(eve.isAllowed, false);
  await rejectsWith(() => register.start(eve), "forbidden", /not open to your address/);
  await rejectsWith(
    registerInOneStep(f.ctx, EVE, { email: "alice@example.com", password: PASSWORDS.alice }),
    "forbidden",
  );
  await assert.rejects(
    f.gateway.register(EVE, {
      kind: "password",
      email: "alice@example.com",
      password: new Secret(PASSWORDS.alice),
    }),
    RegistrationRefused,
  );
  assert.deepEqual(await f.keys(), []);
  assert.deepEqual(f.network.control.operations("100001").operations, [], "no login was tried");
});

Deno.test("cookies register without a password; bad cookies are named, never echoed", async () => {
  await using f = await gatewayFixture();
  const bad = await rejectsWith(
    f.run(REGISTER, CAROL, { cookies: "xs=verysecretvalue" }),
    "bad_input",
    /^Cookies: Cookies are missing c_user/,
  );
  assert.ok(!bad.includes("verysecretvalue"));
  await rejectsWith(f.run(REGISTER, CAROL, {}), "bad_input", /email and password, or/);
  await rejectsWith(
    f.run(REGISTER, CAROL, { email: "carol@example.com" }),
    "bad_input",
    /^Password:/,
  );

  const prefs = await f.run(REGISTER, CAROL, {
    cookies: "c_user=100003; xs=carolsecret",
  }) as FormStep;
  // No password known: turning on keeping it asks for one.
  assert.deepEqual(prefs.fields.map((field) => field.name), [
    "save_password",
    "login_notices",
    "email",
    "password",
  ]);
  await rejectsWith(submit(prefs, { save_password: true }), "bad_input", /also give/);
  assert.match(noteOf(await submit(prefs, {})), /welcome, Carol Cookies/);
  assert.equal((await getUser(f.kv, CAROL))?.savedLogin, undefined);
});

Deno.test("a registered user renews the login; registration date, preferences and saved password stay", async () => {
  await using f = await gatewayFixture();
  const prefs = await f.run(REGISTER, ALICE, {
    email: "alice@example.com",
    password: PASSWORDS.alice,
  }) as FormStep;
  await submit(prefs, { save_password: true, login_notices: false });
  await waitUntil(() => f.gateway.session(ALICE)?.state.status === "connected");
  const before = await getUser(f.kv, ALICE);
  assert.ok(before?.savedLogin);

  // Renew with the session cookies as an appState JSON export.
  assert.equal(f.caller(ALICE).isRegistered, true);
  const again = await f.start(REGISTER, ALICE) as FormStep;
  assert.match(again.instructions ?? "", /already registered: this renews/);
  const renewed = await submit(again, { cookies: before.messengerSession!.reveal() }) as FormStep;
  assert.equal(renewed.title, "Preferences");
  assert.deepEqual(
    renewed.fields.map((field) => [field.name, field.value]),
    [["save_password", true], ["login_notices", false]],
  );
  const after = await getUser(f.kv, ALICE);
  assert.equal(after?.registeredAt, before.registeredAt);
  assert.deepEqual(after?.preferences, before.preferences);
  assert.equal(after?.savedLogin?.email, before.savedLogin.email);
  assert.equal(after?.savedLogin?.password.reveal(), before.savedLogin.password.reveal());
  assert.equal(f.port.messages(ADMIN).length, 1, "admins are told once, at registration");
});

Deno.test("one-step registration (XEP-0077) cancels a two-factor login and stores nothing", async () => {
  await using f = await gatewayFixture();
  assert.equal(
    await registerInOneStep(f.ctx, BOB, { email: "bob@example.com", password: PASSWORDS.bob }),
    "two_factor_required",
  );
  assert.deepEqual(await f.keys(), []);
  assert.equal(
    await registerInOneStep(f.ctx, ALICE, {
      email: "alice@example.com",
      password: PASSWORDS.alice,
    }),
    "registered",
  );
  assert.equal(f.gateway.isRegistered(ALICE), true);
  await waitUntil(() => f.gateway.session(ALICE)?.state.status === "connected");
});
