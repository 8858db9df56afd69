/**
 * fca's real listener, fed recorded deltas by the fake edge, through FcaSession: every delta
 * class comes out as the normalized event the gateway expects.
 */

import assert from "node:assert/strict";
import type { RemoteEvent } from "../../../src/messenger/events.ts";
import { ALICE, FcaTestBed, GROUP, type RecordedSession, SELF, waitFor } from "./_harness.ts";
import { type RecordedName, wire } from "./recorded/deltas.ts";

function nextEvent(recorded: RecordedSession, seen: number): Promise<RemoteEvent> {
  return waitFor("an event", () => recorded.remote().length > seen).then(() =>
    recorded.remote()[seen]
  );
}

Deno.test("recorded deltas come out of FcaSession as normalized events", async (t) => {
  const bed = await new FcaTestBed().start();
  try {
    const account = await bed.connect({ id: SELF });
    const expectFrom = async (publish: () => number, expected: unknown) => {
      const seen = account.remote().length;
      assert.equal(publish(), 1, "the account has one live connection");
      const event = await nextEvent(account, seen);
      // Typing has no time of its own on Messenger: the receive time, which a test cannot know.
      assert.deepEqual(event.type === "typing" ? { ...event, timestamp: 0 } : event, expected);
    };
    const delta = (name: RecordedName) => () => bed.fake.publishDeltas(SELF, [wire(name)]);

    await t.step("a text message", async () => {
      await expectFrom(delta("text_message"), {
        type: "message",
        conversation: { thread: ALICE, kind: "direct" },
        actor: ALICE,
        id: "mid.$text1",
        text: "Hello from Alice",
        attachments: [],
        mentions: [],
        timestamp: 1700000000001,
        fromSelf: false,
      });
    });

    await t.step("the same message again is dropped as a duplicate", async () => {
      const seen = account.remote().length;
      bed.fake.publishDeltas(SELF, [wire("text_message"), wire("read_receipt")]);
      const next = await nextEvent(account, seen);
      assert.equal(next.type, "read_receipt", "the duplicate message was not delivered");
    });

    await t.step("a group message with a mention gets offsets", async () => {
      await expectFrom(delta("mention_message"), {
        type: "message",
        conversation: { thread: GROUP, kind: "group" },
        actor: ALICE,
        id: "mid.$mention1",
        text: "Hi @Bob Builder, see this",
        attachments: [],
        mentions: [{ user: "100003", offset: 3, length: 12 }],
        timestamp: 1700000000002,
        fromSelf: false,
      });
    });

    await t.step("one attachment of each kind", async () => {
      const seen = account.remote().length;
      delta("attachments_message")();
      const event = await nextEvent(account, seen);
      assert.equal(event.type, "message");
      if (event.type !== "message") return;
      assert.deepEqual(event.attachments, [
        {
          kind: "photo",
          url: "https://scontent.fake/5001-l.jpg",
          filename: "image-5001.jpg",
          width: 1920,
          height: 1440,
        },
        {
          kind: "gif",
          url: "https://scontent.fake/5002.gif",
          filename: "gif-5002.gif",
          width: 400,
          height: 300,
        },
        {
          kind: "video",
          url: "https://video.fake/5003.mp4",
          filename: "video-5003.mp4",
          width: 1280,
          height: 720,
        },
        {
          kind: "audio",
          url: "https://cdn.fake/5004.mp4",
          filename: "audioclip-5004.mp4",
          isVoice: true,
        },
        {
          kind: "file",
          url: "https://l.facebook.com/l.php?u=https%3A%2F%2Fcdn.fake%2Freport.pdf",
          filename: "report.pdf",
          contentType: "application/pdf",
        },
        { kind: "sticker", url: "https://scontent.fake/sticker-like.png", width: 120, height: 120 },
        {
          kind: "share",
          url: "https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.org%2F&h=AT0fake",
          width: 100,
          height: 100,
          title: "Example Domain",
          description: "An example page",
        },
        {
          kind: "location",
          url:
            "https://www.bing.com/maps/default.aspx?v=2&pc=FACEBK&mid=8100&where1=48.8584%2C+2.2945&FORM=FBKPL1&mkt=en-US",
          width: 545,
          height: 280,
          latitude: 48.8584,
          longitude: 2.2945,
          title: "48.8584, 2.2945",
        },
      ]);
    });

    await t.step("an old-style photo waits for its resolved URL", async () => {
      const seen = account.remote().length;
      delta("legacy_photo_message")();
      const event = await nextEvent(account, seen);
      assert.equal(
        event.type === "message" && event.attachments[0].url,
        "https://scontent.fake/resolved-5010.jpg",
      );
      assert.ok(bed.fake.requestsTo("/mercury/attachments/photo").length >= 1);
    });

    await t.step("an unknown attachment type keeps the message, as kind unknown", async () => {
      await expectFrom(delta("unknown_attachment_message"), {
        type: "message",
        conversation: { thread: GROUP, kind: "group" },
        actor: ALICE,
        id: "mid.$unknown1",
        text: "poll time",
        attachments: [{ kind: "unknown" }],
        mentions: [],
        timestamp: 1700000000005,
        fromSelf: false,
      });
    });

    await t.step("a reaction, with its mis-decoded emoji repaired", async () => {
      const seen = account.remote().length;
      delta("reaction")();
      const event = await nextEvent(account, seen);
      assert.equal(event.type, "reaction");
      if (event.type !== "reaction") return;
      assert.equal(event.reaction, "❤");
      assert.equal(event.messageId, "mid.$text1");
      assert.equal(event.actor, ALICE);
      assert.equal(event.conversation.thread, ALICE);
      assert.equal(event.fromSelf, false);
      assert.equal(typeof event.timestamp, "number");
    });

    await t.step("a removed reaction", async () => {
      const seen = account.remote().length;
      delta("reaction_removed")();
      const event = await nextEvent(account, seen);
      assert.equal(event.type === "reaction" && event.reaction, "");
    });

    await t.step("an unsend", async () => {
      await expectFrom(delta("unsend"), {
        type: "unsend",
        conversation: { thread: ALICE, kind: "direct" },
        actor: ALICE,
        messageId: "mid.$text1",
        timestamp: 1700000005000,
        fromSelf: false,
      });
    });

    await t.step("a reply, with the replied message for a fallback quote", async () => {
      await expectFrom(delta("reply"), {
        type: "message",
        conversation: { thread: ALICE, kind: "direct" },
        actor: ALICE,
        id: "mid.$reply1",
        text: "Oui, très bien 👍",
        attachments: [],
        mentions: [],
        timestamp: 1700000010000,
        fromSelf: false,
        replyTo: { id: "mid.$text0", actor: SELF, text: "Ça va ?" },
      });
    });

    await t.step("a malformed reply is dropped; the connection goes on", async () => {
      const connections = bed.fake.connections.length;
      const seen = account.remote().length;
      bed.fake.publishDeltas(SELF, [wire("malformed_reply")]);
      delta("thread_name")();
      const event = await nextEvent(account, seen);
      assert.equal(event.type, "thread_renamed");
      assert.equal(bed.fake.connections.length, connections, "no reconnection was needed");
      assert.equal(account.session.state.status, "connected");
    });

    await t.step("a read receipt", async () => {
      await expectFrom(delta("read_receipt"), {
        type: "read_receipt",
        conversation: { thread: ALICE, kind: "direct" },
        actor: ALICE,
        timestamp: 1700000020000,
        fromSelf: false,
      });
    });

    await t.step("a group rename, additions and departures", async () => {
      const seen = account.remote().length;
      bed.fake.publishDeltas(SELF, [
        wire("thread_name"),
        wire("participants_added"),
        wire("participant_left"),
      ]);
      await waitFor("three events", () => account.remote().length >= seen + 3);
      const [renamed, added, left] = account.remote().slice(seen);
      assert.deepEqual(
        { ...renamed, timestamp: 0 },
        {
          type: "thread_renamed",
          conversation: { thread: GROUP, kind: "group" },
          actor: ALICE,
          name: "Weekend",
          timestamp: 0,
          fromSelf: false,
        },
      );
      assert.deepEqual({ ...added, timestamp: 0 }, {
        type: "participants_added",
        conversation: { thread: GROUP, kind: "group" },
        actor: ALICE,
        users: [{ id: "100004", name: "Carol Example" }],
        timestamp: 0,
        fromSelf: false,
      });
      assert.deepEqual({ ...left, timestamp: 0 }, {
        type: "participant_left",
        conversation: { thread: GROUP, kind: "group" },
        actor: "100004",
        user: "100004",
        timestamp: 0,
        fromSelf: false,
      });
    });

    await t.step("group admins made and unmade (an admin text fca itself drops)", async () => {
      const seen = account.remote().length;
      bed.fake.publishDeltas(SELF, [wire("thread_admin_added"), wire("thread_admin_removed")]);
      await waitFor("two events", () => account.remote().length >= seen + 2);
      // fca's formatDeltaEvent keeps no time: the receive time, which a test cannot know.
      const changes = account.remote().slice(seen).map((event) => ({ ...event, timestamp: 0 }));
      assert.deepEqual(
        changes,
        [["100003", true], [SELF, false]].map(([user, admin]) => ({
          type: "admins_changed",
          conversation: { thread: GROUP, kind: "group" },
          actor: ALICE,
          user,
          admin,
          timestamp: 0,
          fromSelf: false,
        })),
      );
    });

    await t.step(
      "the account's own admin change is dropped without selfListen, as fca does",
      async () => {
        const seen = account.remote().length;
        const own = wire("thread_admin_added");
        (own.messageMetadata as Record<string, unknown>).actorFbId = SELF;
        bed.fake.publishDeltas(SELF, [own, wire("read_receipt")]);
        const next = await nextEvent(account, seen);
        assert.equal(next.type, "read_receipt", "the own admin change was not delivered");
      },
    );

    await t.step(
      "a group picture change: a ForcedFetch, which fca answers by fetching",
      async () => {
        const picture = {
          id: "6001",
          url: "https://scontent.fake/group-6001.jpg",
          width: 960,
          height: 960,
        };
        bed.fake.threads.set(GROUP, {
          id: GROUP,
          isGroup: true,
          participants: [SELF, ALICE, "100003"],
          updatedAt: 1700000036000,
          messages: [
            {
              id: "mid.$ff1",
              sender: ALICE,
              text: null,
              timestamp: 1700000035000,
              pictureChangedTo: picture,
            },
            {
              id: "mid.$ff2",
              sender: ALICE,
              text: null,
              timestamp: 1700000036000,
              pictureChangedTo: null,
            },
          ],
        });
        const changed = {
          type: "thread_image",
          conversation: { thread: GROUP, kind: "group" },
          actor: ALICE,
          fromSelf: false,
        };
        await expectFrom(delta("forced_fetch_thread_image"), {
          ...changed,
          timestamp: 1700000035000,
          url: picture.url,
        });
        const fetched = bed.fake.requestsTo("/api/graphqlbatch/").map((request) =>
          JSON.parse(request.form.queries ?? "{}").o0
        );
        assert.deepEqual(fetched.at(-1), {
          doc_id: "2848441488556444",
          query_params: { thread_and_message_id: { thread_id: GROUP, message_id: "mid.$ff1" } },
        });
        await expectFrom(delta("forced_fetch_thread_image_removed"), {
          ...changed,
          timestamp: 1700000036000,
        });
      },
    );

    await t.step("typing, in a group and in a 1:1 chat", async () => {
      await expectFrom(() => bed.fake.publish(SELF, "/thread_typing", wire("typing_group")), {
        type: "typing",
        conversation: { thread: GROUP, kind: "group" },
        actor: "100003",
        typing: true,
        timestamp: 0,
        fromSelf: false,
      });
      await expectFrom(
        () => bed.fake.publish(SELF, "/thread_typing", wire("typing_direct_stop")),
        {
          type: "typing",
          conversation: { thread: ALICE, kind: "direct" },
          actor: ALICE,
          typing: false,
          timestamp: 0,
          fromSelf: false,
        },
      );
    });

    await t.step("presence", async () => {
      await expectFrom(() => bed.fake.publish(SELF, "/orca_presence", wire("presence")), {
        type: "presence",
        actor: ALICE,
        online: true,
        lastActive: 1700000040000,
      });
    });

    await t.step("fca marked the delivered messages as delivered", () => {
      assert.ok(bed.fake.requestsTo("/ajax/mercury/delivery_receipts.php").length >= 1);
    });
  } finally {
    await bed.close();
  }
});

Deno.test("with selfListen, the account's own messages arrive marked fromSelf", async () => {
  const bed = await new FcaTestBed().start();
  try {
    const account = await bed.connect({ id: SELF }, { selfListen: true });
    const own = wire("text_message");
    const metadata = own.messageMetadata as Record<string, unknown>;
    metadata.actorFbId = SELF;
    metadata.messageId = "mid.$own1";
    bed.fake.publishDeltas(SELF, [own]);
    await waitFor("the own message", () => account.remote().length > 0);
    const event = account.remote()[0];
    assert.equal(event.type === "message" && event.fromSelf, true);
  } finally {
    await bed.close();
  }
});

Deno.test("2026 delta shapes: no crash, real mentions, and what fca ignores is ignored", async (t) => {
  const bed = await new FcaTestBed().start({}, { pageStyle: "2026" });
  try {
    const account = await bed.connect({ id: SELF });
    const BOB = "100003";
    const CAROL = "100004";
    const deliver = async (name: RecordedName) => {
      const seen = account.remote().length;
      bed.fake.publishDeltas(SELF, [wire(name)]);
      return await nextEvent(account, seen);
    };
    const mentionsOf = async (name: RecordedName) => {
      const event = await deliver(name);
      assert.equal(event.type, "message", name);
      return event.type === "message" ? event.mentions : [];
    };

    await t.step(
      "a NewMessage without attachments arrives (fca 1.3.10 crashes on it)",
      async () => {
        assert.deepEqual(await deliver("message_without_attachments_2026"), {
          type: "message",
          conversation: { thread: ALICE, kind: "direct" },
          actor: ALICE,
          id: "mid.$noattach2026",
          text: "No attachments list at all",
          attachments: [],
          mentions: [],
          timestamp: 1700000100001,
          fromSelf: false,
        });
      },
    );

    await t.step("mentions as comma lists, ranges, profileRanges and a typed map", async () => {
      assert.deepEqual(await mentionsOf("mention_comma_lists_2026"), [
        { user: BOB, offset: 3, length: 4 },
        { user: CAROL, offset: 12, length: 6 },
      ]);
      assert.deepEqual(await mentionsOf("mention_ranges_2026"), [
        { user: ALICE, offset: 5, length: 13 },
      ]);
      assert.deepEqual(await mentionsOf("mention_profile_ranges_2026"), [
        { user: BOB, offset: 0, length: 4 },
      ]);
      assert.deepEqual(await mentionsOf("mention_typed_metadata_2026"), [
        { user: CAROL, offset: 7, length: 6 },
      ]);
    });

    await t.step("a reply with comma-list mentions keeps both", async () => {
      const event = await deliver("reply_with_comma_mentions_2026");
      assert.equal(event.type, "message");
      if (event.type !== "message") return;
      assert.deepEqual(event.conversation, { thread: GROUP, kind: "group" });
      assert.equal(event.text, "@Bob ça marche");
      assert.deepEqual(event.mentions, [{ user: BOB, offset: 0, length: 4 }]);
      assert.deepEqual(event.replyTo, {
        id: "mid.$commas2026",
        actor: ALICE,
        text: "Hi @Bob and @Carol",
      });
    });

    await t.step(
      "unknown classes, admin texts and payloads are ignored; what follows arrives",
      async () => {
        const seen = account.remote().length;
        const connections = bed.fake.connections.length;
        bed.fake.publishDeltas(SELF, [
          wire("unknown_class_2026"),
          wire("unknown_admin_text_2026"),
          wire("unknown_client_payload_2026"),
          wire("text_message"),
        ]);
        const next = await nextEvent(account, seen);
        assert.equal(next.type === "message" && next.id, "mid.$text1", "nothing came before it");
        assert.equal(bed.fake.connections.length, connections, "no reconnection was needed");
      },
    );

    await t.step("a delta fca throws on costs only itself; its message is rescued", async () => {
      const seen = account.remote().length;
      const after = wire("text_message");
      (after.messageMetadata as Record<string, unknown>).messageId = "mid.$afterCrash";
      bed.fake.publishDeltas(SELF, [wire("attachment_without_mercury_2026"), after]);
      await waitFor("two messages", () => account.remote().length >= seen + 2);
      const [rescued, next] = account.remote().slice(seen);
      assert.equal(rescued.type === "message" && rescued.id, "mid.$nomercury2026");
      assert.deepEqual(rescued.type === "message" && rescued.attachments, [{ kind: "unknown" }]);
      assert.equal(next.type === "message" && next.id, "mid.$afterCrash");
      assert.equal(account.session.state.status, "connected");
    });

    await t.step("1:1 typing on its own topic is a direct chat", async () => {
      const seen = account.remote().length;
      bed.fake.publish(SELF, "/orca_typing_notifications", wire("typing_direct_2026"));
      const event = await nextEvent(account, seen);
      assert.deepEqual(event.type === "typing" && event.conversation, {
        thread: ALICE,
        kind: "direct",
      });
    });
  } finally {
    await bed.close();
  }
});
