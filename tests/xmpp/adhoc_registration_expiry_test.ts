/**
 * A pending multi-step registration expires (`gateway.registration_timeout` is the ad-hoc session
 * timeout): the pending Messenger login is cancelled and nothing is stored.
 */
import assert from "node:assert/strict";
import { NS_COMMANDS, registerAdhocCommands } from "../../src/xmpp/adhoc_commands.ts";
import type { LoginResult } from "../../src/messenger/session.ts";
import { BOB, DOMAIN, gatewayFixture, PASSWORDS } from "../gateway/commands/_fixture.ts";
import { errorCondition, parse, recordingRouter } from "./_stanzas.ts";
import { waitUntil } from "../_wait.ts";

Deno.test("a two-factor registration left waiting expires: login cancelled, nothing stored", async () => {
  await using f = await gatewayFixture();
  let cancelled = 0;
  const login = f.network.login.bind(f.network);
  f.network.login = async (...args): Promise<LoginResult> => {
    const result = await login(...args);
    if (result.kind === "two_factor_required") {
      const cancel = result.cancel;
      result.cancel = () => {
        cancelled++;
        cancel();
      };
    }
    return result;
  };
  const { router, sent } = recordingRouter();
  const adhoc = registerAdhocCommands(router, {
    domain: DOMAIN,
    commands: () => f.commands,
    caller: (full) => f.caller(full.split("/")[0]),
    // Long enough that a loaded machine gets through two steps before it runs out.
    sessionTimeoutMs: 400,
  });
  try {
    const command = async (attrs: string, inner = "") => {
      sent.length = 0;
      await router.handle(parse(
        `<iq type="set" id="x" from="${BOB}/pc" to="${DOMAIN}">` +
          `<command xmlns="${NS_COMMANDS}" node="jabber:iq:register" ${attrs}>${inner}</command></iq>`,
      ));
      return sent[0];
    };
    const first = await command(`action="execute"`);
    const sessionid = first.getChild("command")!.attrs.sessionid!;
    const code = await command(
      `sessionid="${sessionid}" action="next"`,
      `<x xmlns="jabber:x:data" type="submit"><field var="email"><value>bob@example.com</value>` +
        `</field><field var="password"><value>${PASSWORDS.bob}</value></field></x>`,
    );
    assert.equal(code.getChild("command")?.attrs.status, "executing", code.toString());
    assert.equal(cancelled, 0);

    await waitUntil(() => cancelled === 1, "the pending login to be cancelled by the expiry");
    const late = await command(
      `sessionid="${sessionid}" action="next"`,
      `<x xmlns="jabber:x:data" type="submit"><field var="code"><value>123456</value></field></x>`,
    );
    assert.equal(errorCondition(late), "not-allowed", late.toString());
    assert.deepEqual(await f.keys(), []);
  } finally {
    await adhoc.close();
  }
});
