/**
 * fca's real code against the fake Facebook serving the 2020 home page (what fca 1.3.10 reads
 * itself) and the 2026 one (tokens and MQTT configuration only as page modules, which the adapter
 * reads for fca): login, listening, sending and receiving work on both, and every request
 * carries what current clients send.
 */

import assert from "node:assert/strict";
import { DEFAULT_USER_AGENT } from "../../../src/messenger/fca/fca_network.ts";
import type { FcaSession } from "../../../src/messenger/fca/fca_session.ts";
import { ttstampOf } from "../../../src/messenger/fca/page_tokens.ts";
import { asThreadId } from "../../../src/messenger/ids.ts";
import { ALICE, FcaTestBed, GROUP, PAGE_STYLES, SELF, waitFor } from "./_harness.ts";
import { wire } from "./recorded/deltas.ts";

for (const style of PAGE_STYLES) {
  Deno.test(`${style} home page: login, listening, sending and receiving`, async (t) => {
    const bed = await new FcaTestBed().start({}, { pageStyle: style });
    try {
      const account = await bed.connect({ id: SELF });
      const session = account.session as FcaSession;
      const { fake } = bed;
      const tokens = fake.tokensOf(SELF);

      await t.step("the listener reached the MQTT endpoint the page names", () => {
        assert.equal(session.state.status, "connected");
        assert.equal(fake.liveConnections(SELF).length, 1);
      });

      await t.step("the session's first request carries the page's tokens and region", () => {
        // With the 2026 page fca finds no sequence id either: it asks for one (a POST).
        const posts = fake.requests.filter((request) => request.method === "POST");
        if (style === "2026") assert.ok(posts.length >= 1, "the sequence id was asked for");
        for (const request of posts) {
          assert.equal(request.form.fb_dtsg, tokens.fbDtsg, request.path);
          assert.equal(request.form.jazoest, ttstampOf(tokens.fbDtsg), request.path);
        }
      });

      await t.step("sending: 1:1 and group, with the tokens, headers and region", async () => {
        const direct = await session.sendMessage(asThreadId(ALICE), { text: "Hi Alice" }, {
          isGroup: false,
        });
        const group = await session.sendMessage(asThreadId(GROUP), { text: "Hi all" }, {
          isGroup: true,
        });
        assert.notEqual(direct.id, group.id);
        const sends = fake.requestsTo("/messaging/send/");
        assert.deepEqual(sends.map((request) => request.form.body), ["Hi Alice", "Hi all"]);
        for (const request of sends) {
          assert.equal(request.form.fb_dtsg, tokens.fbDtsg);
          assert.equal(request.headers["x-asbd-id"], "359341");
          assert.equal(request.headers["user-agent"], DEFAULT_USER_AGENT);
          assert.equal(request.headers["x-msgr-region"], style === "2026" ? "ATN" : "PRN");
          if (style === "2026") {
            assert.equal(request.form.lsd, tokens.lsd);
            assert.equal(request.headers["x-fb-lsd"], tokens.lsd);
          } else {
            assert.equal(request.form.lsd, undefined, "no LSD on a 2020 page: none is sent");
          }
        }
      });

      await t.step("sends and typing pass isGroup: fca never looks a thread up", async () => {
        await session.setTyping(asThreadId(ALICE), true, { isGroup: false });
        await session.setTyping(asThreadId(GROUP), true, { isGroup: true });
        await session.setTyping(asThreadId(GROUP), false, { isGroup: true });
        const typing = fake.requestsTo("/ajax/messaging/typ.php").map((request) => [
          request.form.thread,
          request.form.to ?? "",
          request.form.typ,
        ]);
        assert.deepEqual(typing, [[ALICE, ALICE, "1"], [GROUP, "", "1"], [GROUP, "", "0"]]);
        assert.equal(fake.requestsTo("/chat/user_info/").length, 0, "no /chat/user_info/ lookup");
      });

      await t.step("receiving: a 2020 delta and a 2026 one (no attachments list)", async () => {
        fake.publishDeltas(SELF, [wire("text_message"), wire("message_without_attachments_2026")]);
        await waitFor("two messages", () => account.remote().length >= 2);
        assert.deepEqual(
          account.remote().map((event) => event.type === "message" && [event.id, event.text]),
          [["mid.$text1", "Hello from Alice"], ["mid.$noattach2026", "No attachments list at all"]],
        );
      });

      await t.step("the client said it is in the foreground, as current clients do", () => {
        const published = fake.liveConnections(SELF)[0].published;
        assert.deepEqual(
          published.filter((message) => message.topic !== "/messenger_sync_create_queue"),
          [
            { topic: "/foreground_state", payload: '{"foreground":true}' },
            {
              topic: "/set_client_settings",
              payload: '{"make_user_available_when_in_foreground":true}',
            },
          ],
        );
      });

      await t.step("a current desktop user agent, also on the MQTT websocket", () => {
        assert.match(DEFAULT_USER_AGENT, /Windows NT 10\.0; Win64; x64.*Chrome\/\d{3}\./);
        assert.ok(
          fake.requests.every((request) => request.headers["user-agent"] === DEFAULT_USER_AGENT),
        );
        assert.equal(fake.connections[0].headers["user-agent"], DEFAULT_USER_AGENT);
        assert.equal(fake.connections[0].headers["x-asbd-id"], undefined, "not on the upgrade");
      });

      await t.step("queries work with the page's tokens: threads and history", async () => {
        fake.threads.set(ALICE, {
          id: ALICE,
          isGroup: false,
          participants: [SELF, ALICE],
          updatedAt: 1_700_000_000_500,
          messages: [{
            id: "mid.$old",
            sender: ALICE,
            text: "Old one",
            timestamp: 1_700_000_000_500,
          }],
        });
        const [thread] = await session.getThreads(1);
        assert.equal(thread.id, ALICE);
        const history = await session.getHistory(asThreadId(ALICE), 5);
        assert.deepEqual(history.map((message) => message.id), ["mid.$old"]);
      });
    } finally {
      await bed.close();
    }
  });
}

Deno.test("messenger.user_agent replaces the default everywhere", async () => {
  const agent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Test/1.0";
  const bed = await new FcaTestBed().start({}, { pageStyle: "2026", userAgent: agent });
  try {
    const account = await bed.connect({ id: SELF });
    await account.session.sendMessage(asThreadId(ALICE), { text: "Hi" }, { isGroup: false });
    assert.ok(bed.fake.requests.length >= 3);
    assert.ok(bed.fake.requests.every((request) => request.headers["user-agent"] === agent));
    assert.equal(bed.fake.connections[0].headers["user-agent"], agent);
  } finally {
    await bed.close();
  }
});
