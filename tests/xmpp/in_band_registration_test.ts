/**
 * XEP-0077 in-band registration, stanza in → stanza out, over the real gateway core (in-memory
 * KV, simulated Messenger).
 */
import assert from "node:assert/strict";
import {
  CREDENTIAL_FIELDS,
  IN_BAND_REGISTRATION_INSTRUCTIONS,
  REGISTRATION_TITLE,
} from "../../src/gateway/commands/credentials_form.ts";
import { registerInOneStep } from "../../src/gateway/commands/registration.ts";
import { getUser } from "../../src/store/user_records.ts";
import { NS_REGISTER, registerInBandRegistration } from "../../src/xmpp/in_band_registration.ts";
import type { Element } from "../../src/xmpp/xml.ts";
import {
  ALICE,
  BOB,
  DAVE,
  DOMAIN,
  EVE,
  type Fixture,
  gatewayFixture,
  PASSWORDS,
  waitUntil,
} from "../gateway/commands/_fixture.ts";
import { errorCondition, errorText, parse, recordingRouter } from "./_stanzas.ts";

async function registration() {
  const f = await gatewayFixture();
  const { router, sent } = recordingRouter();
  registerInBandRegistration(router, {
    domain: DOMAIN,
    form: {
      title: REGISTRATION_TITLE,
      instructions: IN_BAND_REGISTRATION_INSTRUCTIONS,
      fields: CREDENTIAL_FIELDS,
    },
    isRegistered: (jid) => f.gateway.isRegistered(jid),
    isAllowed: (jid) => f.gateway.isAllowed(jid),
    register: (jid, values) => registerInOneStep(f.ctx, jid, values),
    unregister: (jid) => f.gateway.unregister(jid, "user"),
  });
  let nextId = 0;
  /** Sends one iq from `from` and returns the one reply. */
  async function iq(from: string, type: "get" | "set", inner: string): Promise<Element> {
    sent.length = 0;
    const id = `r${++nextId}`;
    await router.handle(parse(
      `<iq type="${type}" id="${id}" from="${from}/pc" to="${DOMAIN}">` +
        `<query xmlns="${NS_REGISTER}">${inner}</query></iq>`,
    ));
    assert.equal(sent.length, 1, "exactly one reply");
    assert.equal(sent[0].attrs.id, id);
    return sent[0];
  }
  return { f, router, iq, [Symbol.asyncDispose]: () => f[Symbol.asyncDispose]() };
}

function form(fields: Record<string, string>): string {
  const inner = Object.entries(fields)
    .map(([name, value]) => `<field var="${name}"><value>${value}</value></field>`)
    .join("");
  return `<x xmlns="jabber:x:data" type="submit">` +
    `<field var="FORM_TYPE" type="hidden"><value>${NS_REGISTER}</value></field>${inner}</x>`;
}

async function assertNothingStored(f: Fixture): Promise<void> {
  assert.deepEqual(await f.keys(), []);
}

Deno.test("jabber:iq:register is advertised on the gateway JID", async () => {
  await using r = await registration();
  assert.ok(r.router.features("gateway").includes(NS_REGISTER));
});

Deno.test("get answers instructions, legacy fields and the form; registered users see <registered/>", async () => {
  await using r = await registration();
  const reply = await r.iq(ALICE, "get", "");
  assert.equal(reply.attrs.type, "result", reply.toString());
  const query = reply.getChild("query", NS_REGISTER)!;
  assert.equal(query.getChild("registered"), undefined);
  assert.equal(query.getChildText("instructions"), IN_BAND_REGISTRATION_INSTRUCTIONS);
  // The form is the whole registration: no "next step" is promised.
  assert.doesNotMatch(IN_BAND_REGISTRATION_INSTRUCTIONS, /next step|later step/);
  assert.ok(query.getChild("username") && query.getChild("password"));
  const x = query.getChild("x", "jabber:x:data")!;
  assert.equal(x.attrs.type, "form");
  assert.deepEqual(
    x.getChildren("field").map((field) => [field.attrs.var, field.attrs.type]),
    [
      ["FORM_TYPE", "hidden"],
      ["email", "text-single"],
      ["password", "text-private"],
      ["cookies", "text-multi"],
    ],
  );
  assert.equal(x.getChildren("field")[0].getChildText("value"), NS_REGISTER);

  assert.equal(
    (await r.iq(ALICE, "set", form({ email: "alice@example.com", password: PASSWORDS.alice })))
      .attrs.type,
    "result",
  );
  const again = (await r.iq(ALICE, "get", "")).getChild("query", NS_REGISTER)!;
  assert.ok(again.getChild("registered"), again.toString());
  assert.match(again.getChildText("instructions") ?? "", /^You are registered/);
});

Deno.test("set with the form registers: an empty result, the session stored, never the password", async () => {
  await using r = await registration();
  const reply = await r.iq(
    ALICE,
    "set",
    form({ email: "alice@example.com", password: PASSWORDS.alice }),
  );
  assert.equal(reply.attrs.type, "result", reply.toString());
  assert.equal(reply.getChildElements().length, 0);
  const record = await getUser(r.f.kv, ALICE);
  assert.ok(record?.messengerSession);
  assert.ok(!JSON.stringify(record).includes(PASSWORDS.alice));
  await waitUntil(() => r.f.gateway.session(ALICE)?.state.status === "connected");
});

Deno.test("set with the legacy <username/> and <password/> registers too", async () => {
  await using r = await registration();
  const reply = await r.iq(
    ALICE,
    "set",
    `<username>alice@example.com</username><password>${PASSWORDS.alice}</password>`,
  );
  assert.equal(reply.attrs.type, "result", reply.toString());
  assert.equal(r.f.gateway.isRegistered(ALICE), true);
  await waitUntil(() => r.f.gateway.session(ALICE)?.state.status === "connected");
});

Deno.test("wrong credentials: not-authorized with a sentence, nothing stored", async () => {
  await using r = await registration();
  const reply = await r.iq(
    ALICE,
    "set",
    form({ email: "alice@example.com", password: "wrong battery" }),
  );
  assert.equal(errorCondition(reply), "not-authorized");
  assert.equal(reply.getChild("error")?.attrs.type, "auth");
  assert.match(errorText(reply) ?? "", /^Messenger refused these credentials/);
  assert.ok(!reply.toString().includes("wrong battery"), reply.toString());
  await assertNothingStored(r.f);
});

Deno.test("a checkpoint: not-authorized explaining the security check", async () => {
  await using r = await registration();
  const reply = await r.iq(
    DAVE,
    "set",
    form({ email: "dave@example.com", password: PASSWORDS.dave }),
  );
  assert.equal(errorCondition(reply), "not-authorized");
  assert.match(errorText(reply) ?? "", /security check/);
  await assertNothingStored(r.f);
});

Deno.test("two-factor: not-acceptable pointing to the register command, nothing stored", async () => {
  await using r = await registration();
  const reply = await r.iq(BOB, "set", form({ email: "bob@example.com", password: PASSWORDS.bob }));
  assert.equal(errorCondition(reply), "not-acceptable");
  assert.match(
    errorText(reply) ?? "",
    /two-factor code.*'Register' \(ad-hoc command jabber:iq:register.*send 'register'/,
  );
  await assertNothingStored(r.f);
  assert.equal(r.f.gateway.isRegistered(BOB), false);
});

Deno.test("a JID not allowed gets not-allowed on get and set, before any login", async () => {
  await using r = await registration();
  for (
    const reply of [
      await r.iq(EVE, "get", ""),
      await r.iq(EVE, "set", form({ email: "alice@example.com", password: PASSWORDS.alice })),
    ]
  ) {
    assert.equal(errorCondition(reply), "not-allowed", reply.toString());
    assert.match(errorText(reply) ?? "", /not open to your address/);
  }
  await assertNothingStored(r.f);
  assert.deepEqual(r.f.network.control.operations("100001").operations, []);
});

Deno.test("missing or bad input: not-acceptable naming what is missing, never echoing cookies", async () => {
  await using r = await registration();
  const empty = await r.iq(ALICE, "set", form({}));
  assert.equal(errorCondition(empty), "not-acceptable");
  assert.match(errorText(empty) ?? "", /email and password, or/);
  const cookies = await r.iq(ALICE, "set", form({ cookies: "xs=verysecretvalue" }));
  assert.equal(errorCondition(cookies), "not-acceptable");
  assert.match(errorText(cookies) ?? "", /missing c_user/);
  assert.ok(!cookies.toString().includes("verysecretvalue"), cookies.toString());
  const badForm = await r.iq(ALICE, "set", `<x xmlns="jabber:x:data" type="form"/>`);
  assert.equal(errorCondition(badForm), "bad-request");
  await assertNothingStored(r.f);
});

Deno.test("<remove/> unregisters and deletes everything; not registered → registration-required", async () => {
  await using r = await registration();
  const notRegistered = await r.iq(ALICE, "set", "<remove/>");
  assert.equal(errorCondition(notRegistered), "registration-required");
  assert.match(errorText(notRegistered) ?? "", /nothing to remove/);

  await r.iq(ALICE, "set", form({ email: "alice@example.com", password: PASSWORDS.alice }));
  await waitUntil(() => r.f.gateway.session(ALICE)?.state.status === "connected");
  const mixed = await r.iq(ALICE, "set", "<remove/><username>x</username>");
  assert.equal(errorCondition(mixed), "bad-request");
  assert.equal(r.f.gateway.isRegistered(ALICE), true);

  const removed = await r.iq(ALICE, "set", "<remove/>");
  assert.equal(removed.attrs.type, "result", removed.toString());
  assert.equal(r.f.gateway.isRegistered(ALICE), false);
  await assertNothingStored(r.f);
});
