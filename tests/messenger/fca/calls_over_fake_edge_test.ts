/**
 * Outgoing calls through fca's real code to the fake Facebook: what fca sends, and what the
 * session returns.
 */

import assert from "node:assert/strict";
import { isMessengerError } from "../../../src/messenger/errors.ts";
import type { FcaSession } from "../../../src/messenger/fca/fca_session.ts";
import { asMessageId, asThreadId, asUserId } from "../../../src/messenger/ids.ts";
import { ALICE, FcaTestBed, GROUP, SELF, waitFor } from "./_harness.ts";

Deno.test("outgoing calls reach Facebook in fca's format", async (t) => {
  const bed = await new FcaTestBed().start();
  try {
    const account = await bed.connect({ id: SELF });
    const session = account.session as FcaSession;
    const sent = () => bed.fake.requestsTo("/messaging/send/");

    await t.step("a text message resolves with Facebook's id and time", async () => {
      const result = await session.sendMessage(asThreadId(ALICE), { text: "Hello Alice" }, {
        isGroup: false,
      });
      assert.match(result.id, /^mid\.\$fakeSent\d+$/);
      assert.equal(typeof result.timestamp, "number");
      const form = sent().at(-1)!.form;
      assert.equal(form.body, "Hello Alice");
      assert.equal(form.other_user_fbid, ALICE);
    });

    await t.step("a group reply with a mention", async () => {
      await session.sendMessage(asThreadId(GROUP), {
        text: "Hi @Bob, yes",
        replyTo: asMessageId("mid.$text0"),
        mentions: [{ user: asUserId("100003"), offset: 3, length: 4 }],
      }, { isGroup: true });
      const form = sent().at(-1)!.form;
      assert.equal(form.thread_fbid, GROUP);
      assert.equal(form.replied_to_message_id, "mid.$text0");
      assert.equal(form["profile_xmd[0][id]"], "100003");
      assert.equal(form["profile_xmd[0][offset]"], "3");
      assert.equal(form["profile_xmd[0][length]"], "4");
    });

    await t.step("an attachment is uploaded, then referenced", async () => {
      const data = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
      await session.sendMessage(asThreadId(ALICE), {
        attachments: [{ filename: "dot.png", contentType: "image/png", data }],
      }, { isGroup: false });
      const upload = bed.fake.requestsTo("/ajax/mercury/upload.php").at(-1);
      assert.equal(upload?.host, "upload.facebook.com");
      assert.equal(sent().at(-1)!.form["image_ids[0]"], "7001");
    });

    await t.step("an empty message is refused before reaching fca", async () => {
      const before = sent().length;
      await assert.rejects(
        session.sendMessage(asThreadId(ALICE), {}, { isGroup: false }),
        (error: unknown) => isMessengerError(error, "bad_request"),
      );
      assert.equal(sent().length, before);
    });

    await t.step("react, unsend, typing and user info", async () => {
      await session.react(asMessageId("mid.$text1"), "😮");
      const mutation = bed.fake.requestsTo("/webgraphql/mutation/").at(-1)!;
      assert.ok(mutation.form.variables?.includes("mid.$text1"));
      await session.unsend(asMessageId("mid.$fakeSent1"));
      assert.equal(
        bed.fake.requestsTo("/messaging/unsend_message/").at(-1)!.form.message_id,
        "mid.$fakeSent1",
      );
      await session.setTyping(asThreadId(ALICE), true, { isGroup: false });
      await session.setTyping(asThreadId(ALICE), false, { isGroup: false });
      const typing = bed.fake.requestsTo("/ajax/messaging/typ.php").map((request) =>
        request.form.typ
      );
      assert.deepEqual(typing.slice(-2), ["1", "0"]);
      const users = await session.getUserInfo([asUserId(ALICE)]);
      assert.deepEqual(users, [{
        id: ALICE,
        name: `User ${ALICE}`,
        firstName: "User",
        avatarUrl: `https://scontent.fake/avatar-${ALICE}.jpg`,
        profileUrl: `https://www.facebook.com/${ALICE}`,
        isFriend: true,
      }]);
    });

    await t.step("a message request is told by thread info, and accepting moves it", async () => {
      bed.fake.messageRequests.add("100005");
      const request = await session.getThreadInfo(asThreadId("100005"));
      assert.equal(request.isMessageRequest, true);
      assert.equal(request.isGroup, false);
      assert.equal((await session.getThreadInfo(asThreadId(ALICE))).isMessageRequest, false);
      await session.handleMessageRequest([asThreadId("100005")], true);
      const move = bed.fake.requestsTo("/ajax/mercury/move_thread.php").at(-1)!;
      assert.equal(move.form["inbox[0]"], "100005");
      assert.equal((await session.getThreadInfo(asThreadId("100005"))).isMessageRequest, false);
      await session.handleMessageRequest([asThreadId("100006")], false);
      assert.equal(
        bed.fake.requestsTo("/ajax/mercury/move_thread.php").at(-1)!.form["other[0]"],
        "100006",
      );
    });

    await t.step("mark read goes over MQTT and settles", async () => {
      await session.markRead(asThreadId(ALICE));
      await waitFor(
        "the /mark_thread publish",
        () =>
          bed.fake.liveConnections(SELF).some((connection) =>
            connection.published.some((item) => item.topic === "/mark_thread")
          ),
      );
    });

    await t.step(
      "after disconnect, calls fail as disconnected and the state is logged_out",
      async () => {
        await session.disconnect();
        assert.equal(session.state.status, "logged_out");
        await assert.rejects(
          session.sendMessage(asThreadId(ALICE), { text: "late" }, { isGroup: false }),
          (error: unknown) => isMessengerError(error, "disconnected"),
        );
      },
    );
  } finally {
    await bed.close();
  }
});
