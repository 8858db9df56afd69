/**
 * The real gateway commands as chat dialogues (the renderer over the gateway core, in-memory KV,
 * simulated Messenger): what a user without ad-hoc commands meets when registering, changing
 * preferences and searching.
 */
import assert from "node:assert/strict";
import { registerChatCommands } from "../../src/xmpp/chat_commands.ts";
import { xml } from "../../src/xmpp/xml.ts";
import { ALICE, CAROL, DOMAIN, gatewayFixture, PASSWORDS } from "../gateway/commands/_fixture.ts";
import { recordingRouter } from "./_stanzas.ts";

async function chat() {
  const f = await gatewayFixture();
  const { router, sent } = recordingRouter();
  const dialogues = registerChatCommands(router, {
    domain: DOMAIN,
    commands: () => f.commands,
    caller: (fullJid) => ({ ...f.caller(fullJid.split("/")[0]), fullJid }),
    send: (stanza) => void sent.push(stanza),
  });
  /** Sends `body` from `jid`'s phone and returns the one reply's body. */
  async function ask(jid: string, body: string): Promise<string> {
    sent.length = 0;
    await router.handle(
      xml("message", { type: "chat", from: `${jid}/phone`, to: DOMAIN }, xml("body", {}, body)),
    );
    assert.equal(sent.length, 1, sent.map(String).join("\n"));
    return sent[0].getChildText("body") ?? "";
  }
  return {
    f,
    ask,
    async [Symbol.asyncDispose]() {
      await dialogues.close();
      await f[Symbol.asyncDispose]();
    },
  };
}

Deno.test("register by chat: after email and password, cookies are not asked for", async () => {
  await using c = await chat();
  assert.match(await c.ask(CAROL, "register"), /\(1\/3\) Email/);
  assert.match(await c.ask(CAROL, "carol@example.com"), /Password/);
  const next = await c.ask(CAROL, PASSWORDS.carol);
  assert.doesNotMatch(next, /\(3\/3\) Cookies/);
  assert.match(next, /logged in to Messenger as Carol Cookies/);
  assert.equal(c.f.gateway.isRegistered(CAROL), true);
});

Deno.test("register by chat with cookies: email and password skipped, then the cookies", async () => {
  await using c = await chat();
  await c.ask(CAROL, "register");
  await c.ask(CAROL, "skip");
  assert.match(await c.ask(CAROL, "skip"), /Cookies/);
  assert.match(await c.ask(CAROL, "c_user=100003; xs=carolsecret"), /logged in to Messenger/);
  assert.equal(c.f.gateway.isRegistered(CAROL), true);
});

Deno.test("preferences by chat ask for email and password only to keep the password", async () => {
  await using c = await chat();
  await c.f.registerUser(ALICE, "alice");
  await c.f.registerUser(CAROL, "carol");
  // Carol registered with cookies: no password is kept.
  assert.match(await c.ask(CAROL, "preferences"), /Keep my Messenger password/);
  const afterNo = await c.ask(CAROL, "no");
  assert.doesNotMatch(afterNo, /Email|Password \(to keep it\)/);
  assert.match(afterNo, /login problems/i);
  assert.match(await c.ask(CAROL, "yes"), /password is not kept/);

  assert.match(await c.ask(CAROL, "preferences"), /Keep my Messenger password/);
  assert.match(await c.ask(CAROL, "yes"), /login problems/i);
  assert.match(await c.ask(CAROL, "skip"), /Email/);
  assert.match(await c.ask(CAROL, "carol@example.com"), /Password/);
  assert.match(await c.ask(CAROL, PASSWORDS.carol), /password is kept/);
});

Deno.test("find NAME searches for NAME at once", async () => {
  await using c = await chat();
  await c.f.registerUser(ALICE, "alice");
  const found = await c.ask(ALICE, "find Bobby");
  assert.match(found, /1 person matches 'Bobby'/);
  assert.match(found, /Bobby Tables/);
  // Without a name, the name is asked for.
  assert.match(await c.ask(ALICE, "find"), /Name/);
  assert.match(await c.ask(ALICE, "Stranger"), /Stranger Danger/);
});
