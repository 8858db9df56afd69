/**
 * The gateway's commands end to end, through a real Prosody and the real gateway process on the
 * simulated network: two-factor registration with ad-hoc commands (a wrong code, then the right
 * one), registration by chatting with the gateway, every user and admin command with real
 * content, search and contact addressing, and unregistration by command and by an admin leaving
 * no data behind.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { connectClient, xml } from "./_harness/client.ts";
import { startGateway } from "./_harness/gateway.ts";
import {
  AdhocRun,
  chatAsk,
  errorCondition,
  errorText,
  formOf,
  gatewayStatus,
  kvKeys,
  messageContactBounce,
  noteOf,
  NS_REGISTER,
  rowsOf,
  runCommand,
} from "./_harness/gateway_client.ts";
import { startProsody } from "./_harness/prosody.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

const WORLD = `
[[account]]
email = "alice@example.com"
password = "correct horse"
user_id = "100001"
name = "Alice Example"

  [[account.friend]]
  id = "200001"
  name = "Echo Bot"
  echo = true

  [[account.friend]]
  id = "200002"
  name = "Bob Builder"

[[account]]
email = "bob@example.com"
password = "bob secret pw"
two_factor_code = "654321"
user_id = "100002"
name = "Bob Twofactor"

  [[account.friend]]
  id = "200001"
  name = "Echo Bot"

  [[account.group]]
  id = "900002"
  name = "Book club"
  members = ["200001"]

[[user]]
id = "300001"
name = "Stranger Danger"
`;

Deno.test({
  name: "commands: 2FA and chat registration, every command with real content, unregistration",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await Promise.all(
      ["alice", "bob", "admin"].map((user) => server.register(user, `${user}-xmpp-pw`)),
    );
    await using gateway = await startGateway(server, {
      world: WORLD,
      config: { simulated: { control: "127.0.0.1:0" } },
    });
    const control = await gateway.controlUrl();
    const gw = server.componentDomain;
    await using admin = await connectClient(server, "admin", "admin-xmpp-pw");
    await using bob = await connectClient(server, "bob", "bob-xmpp-pw");
    await using alice = await connectClient(server, "alice", "alice-xmpp-pw");

    // Two-factor registration through ad-hoc commands: a wrong code is asked again.
    const register = new AdhocRun(bob, gw, NS_REGISTER);
    assert.deepEqual(formOf(await register.execute()).fields, ["email", "password", "cookies"]);
    const code = formOf(
      await register.submit({ email: "bob@example.com", password: "bob secret pw" }),
    );
    assert.deepEqual(code, { title: "Two-factor code", fields: ["code"] });
    const wrong = await register.submit({ code: "000000" });
    assert.equal(errorCondition(wrong), "bad-request", wrong.toString());
    assert.match(errorText(wrong), /^Code: Messenger did not accept this code/);
    const prefs = formOf(await register.submit({ code: "654321" }));
    assert.deepEqual(prefs, { title: "Preferences", fields: ["save_password", "login_notices"] });
    const welcome = noteOf(
      await register.submit({ save_password: "0", login_notices: "1" }, "complete"),
    );
    assert.match(welcome, /^Registration completed: welcome, Bob Twofactor!/);
    await gatewayStatus(bob, gw, /^Connected as Bob Twofactor$/);
    const notice = await admin.waitFor((s) => s.is("message") && s.attrs.from === gw);
    assert.equal(notice.getChildText("body"), "bob@localhost has registered");

    // The user commands, each with what it really shows.
    const info = await runCommand(bob, gw, "info");
    assert.equal(noteOf(info), "Connected as Bob Twofactor");
    assert.ok(
      rowsOf(info).some((row) =>
        row.what === "Messenger account" && row.value === "Bob Twofactor (id 100002)"
      ),
      info.toString(),
    );
    assert.deepEqual(rowsOf(await runCommand(bob, gw, "contacts")), [
      { name: "Echo Bot", jid: `200001@${gw}` },
    ]);
    assert.deepEqual(rowsOf(await runCommand(bob, gw, "groups")), [
      { name: "Book club", jid: `900002@${gw}`, members: "2" },
    ]);
    assert.deepEqual(rowsOf(await runCommand(bob, gw, "find", { query: "stranger" })), [
      { name: "Stranger Danger", jid: `300001@${gw}`, friend: "no" },
    ]);
    assert.equal(
      noteOf(await runCommand(bob, gw, "sync-contacts")),
      "Synchronised 1 Messenger contact with your roster",
    );
    assert.match(
      noteOf(await runCommand(bob, gw, "preferences", { login_notices: "0" })),
      /Login problems are only shown in the gateway's status/,
    );

    // Messenger expires the session: shown in the status only (login_notices is off now); the
    // re-login command logs in again with the saved session.
    const expired = await fetch(`${control}/accounts/100002/faults`, {
      method: "POST",
      body: JSON.stringify({ kind: "expire_session" }),
    });
    assert.equal(expired.status, 200, await expired.text());
    await gatewayStatus(bob, gw, /^Needs re-authentication/);
    assert.equal(
      noteOf(await runCommand(bob, gw, "re-login")),
      "Logged in to Messenger again as Bob Twofactor",
    );
    await gatewayStatus(bob, gw, /^Connected as Bob Twofactor$/);
    assert.ok(
      bob.pending().every((s) => !/Needs re-authentication/.test(s.getChildText("body") ?? "")),
      "no chat explanation with login_notices off",
    );

    // Registration by chatting with the gateway, one question at a time.
    assert.match(await chatAsk(alice, gw, "register", /\(1\/3\) Email/), /^Log in to Facebook/);
    await chatAsk(alice, gw, "alice@example.com", /^\(2\/3\) Password/);
    await chatAsk(alice, gw, "correct horse", /\(1\/2\) Keep my Messenger password/);
    await chatAsk(alice, gw, "no", /^\(2\/2\) Explain login problems/);
    await chatAsk(alice, gw, "yes", /^Registration completed: welcome, Alice Example!/);
    await gatewayStatus(alice, gw, /^Connected as Alice Example$/);

    // Search (XEP-0055) and contact addressing (XEP-0100) from a registered user.
    const search = await alice.iq(
      xml(
        "iq",
        { type: "set", to: gw },
        xml("query", { xmlns: "jabber:iq:search" }, xml("nick", {}, "stranger")),
      ),
    );
    const items = search.getChild("query")?.getChildren("item") ?? [];
    assert.deepEqual(items.map((item) => item.attrs.jid), [`300001@${gw}`], search.toString());
    const addressed = await alice.iq(
      xml(
        "iq",
        { type: "set", to: gw },
        xml("query", { xmlns: "jabber:iq:gateway" }, xml("prompt", {}, "Echo Bot")),
      ),
    );
    assert.equal(addressed.getChild("query")?.getChildText("jid"), `200001@${gw}`);

    // Admin commands.
    const users = rowsOf(await runCommand(admin, gw, "list-users"));
    assert.deepEqual(users.map((row) => [row.jid, row.state]), [
      ["alice@localhost", "Connected as Alice Example"],
      ["bob@localhost", "Connected as Bob Twofactor"],
    ]);
    const stats = Object.fromEntries(
      rowsOf(await runCommand(admin, gw, "statistics")).map((row) => [row.what, row.value]),
    );
    assert.equal(stats["Registered users"], "2");
    assert.equal(stats["Sessions connected"], "2");
    assert.match(stats["Memory (RSS)"], /^\d+\.\d MiB$/);
    assert.match(stats["Uptime"], /\d+ s$/);
    const nonAdmin = await new AdhocRun(bob, gw, "statistics").execute();
    assert.equal(errorCondition(nonAdmin), "forbidden");

    // log-level really changes what is logged.
    assert.equal(
      noteOf(await runCommand(admin, gw, "log-level", { level: "warning" })),
      "The log level is now warning (was debug)",
    );
    const quiet = gateway.mark();
    await runCommand(bob, gw, "info");
    assert.deepEqual(
      gateway.lines().slice(quiet).filter((line) => / (DEBUG|INFO) /.test(line)),
      [],
    );
    await runCommand(admin, gw, "log-level", { level: "debug" });
    const loud = gateway.mark();
    await runCommand(bob, gw, "info");
    await gateway.waitForLog(/DEBUG.*Ad-hoc command info started by bob@localhost/, 5000, loud);

    // Unregistration by the user's command, then by an admin: contacts refuse messages after.
    assert.match(
      noteOf(await runCommand(bob, gw, "unregister", { confirm: "1" })),
      /^You are unregistered/,
    );
    assert.equal(await messageContactBounce(bob, `200001@${gw}`), "registration-required");
    assert.match(
      noteOf(await runCommand(admin, gw, "delete-user", { jid: "alice@localhost" })),
      /^Deleted alice@localhost/,
    );
    assert.equal(await messageContactBounce(alice, `200001@${gw}`), "registration-required");
    const infoAfter = noteOf(await runCommand(alice, gw, "info"));
    assert.match(infoAfter, /^You are not registered/);

    assert.equal(await gateway.stop(), 0, gateway.output());
    const keys = await kvKeys(join(gateway.dataDir, "gateway.kv"));
    assert.ok(
      keys.every((key) => !key.includes("alice@localhost") && !key.includes("bob@localhost")),
      keys.join("\n"),
    );
    for (const password of ["correct horse", "bob secret pw"]) {
      assert.ok(!gateway.output().includes(password), "a password appeared in the gateway output");
    }
  },
});
