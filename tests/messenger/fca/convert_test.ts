/**
 * The pure conversions from fca's event objects (the shapes fca-unofficial 1.3.10 emits, read
 * from its listenMqtt.js / utils.js) to RemoteEvent: fields, repairs, and never a throw.
 */

import assert from "node:assert/strict";
import {
  type ConversionContext,
  mentionsFromFca,
  messageFromParseError,
  remoteEventFromFca,
  repairMisdecodedUtf8,
} from "../../../src/messenger/fca/convert.ts";
import { attachmentFromFca } from "../../../src/messenger/fca/convert_attachment.ts";
import { asUserId } from "../../../src/messenger/ids.ts";

const context: ConversionContext = { selfId: asUserId("1"), selfListen: false, now: () => 42 };

/** What fca does to ClientPayload text: UTF-8 bytes read one char per byte. */
function misdecode(text: string): string {
  return String.fromCharCode(...new TextEncoder().encode(text));
}

Deno.test("mis-decoded UTF-8 is repaired only when it round-trips", () => {
  assert.equal(repairMisdecodedUtf8(misdecode("❤")), "❤");
  assert.equal(repairMisdecodedUtf8(misdecode("😮 très")), "😮 très");
  assert.equal(repairMisdecodedUtf8("plain ascii"), "plain ascii");
  assert.equal(repairMisdecodedUtf8("café"), "café", "é alone is not valid UTF-8: unchanged");
  assert.equal(repairMisdecodedUtf8("❤ already fine"), "❤ already fine");
});

Deno.test("a message converts with numeric timestamp and fromSelf", () => {
  const event = remoteEventFromFca({
    type: "message",
    senderID: "1",
    body: "hi",
    threadID: "2",
    messageID: "mid.$a",
    attachments: [],
    mentions: {},
    timestamp: "1700000000000",
    isGroup: false,
  }, context);
  assert.deepEqual(event, {
    type: "message",
    conversation: { thread: "2", kind: "direct" },
    actor: "1",
    id: "mid.$a",
    text: "hi",
    attachments: [],
    mentions: [],
    timestamp: 1700000000000,
    fromSelf: true,
  });
});

Deno.test("mentions become offsets, searched in order (fca keeps one text per user)", () => {
  assert.deepEqual(mentionsFromFca("@Al and @Bo and @Al", { "10": "@Al", "20": "@Bo" }), [
    { user: "10", offset: 0, length: 3 },
    { user: "20", offset: 8, length: 3 },
  ]);
  assert.deepEqual(mentionsFromFca("nobody", { "10": "@Al" }), []);
  assert.deepEqual(mentionsFromFca("x", "not a map"), []);
});

Deno.test("a reply without its replied message still arrives, from the raw delta id if any", () => {
  const base = {
    type: "message_reply",
    senderID: "2",
    body: misdecode("ça"),
    threadID: "2",
    messageID: "mid.$r",
    attachments: [],
    mentions: {},
    timestamp: 5,
    isGroup: false,
  };
  const bare = remoteEventFromFca(base, context);
  assert.equal(bare?.type === "message" && bare.text, "ça");
  assert.equal(bare?.type === "message" && bare.replyTo, undefined);
  const withDelta = remoteEventFromFca({
    ...base,
    delta: { deltaMessageReply: { replyToMessageId: { id: "mid.$orig" } } },
  }, context);
  assert.deepEqual(withDelta?.type === "message" && withDelta.replyTo, { id: "mid.$orig" });
});

Deno.test("reactions, unsends, receipts, typing and presence", () => {
  assert.deepEqual(
    remoteEventFromFca({
      type: "message_reaction",
      threadID: "2",
      messageID: "mid.$a",
      reaction: misdecode("👍"),
      senderID: "1",
      userID: "1",
    }, context),
    {
      type: "reaction",
      conversation: { thread: "2", kind: "direct" },
      actor: "1",
      messageId: "mid.$a",
      reaction: "👍",
      timestamp: 42,
      fromSelf: true,
    },
  );
  assert.equal(
    (remoteEventFromFca({
      type: "message_unsend",
      threadID: "2",
      messageID: "m",
      senderID: "2",
      deletionTimestamp: 9,
      timestamp: 8,
    }, context) as { timestamp: number }).timestamp,
    9,
  );
  assert.deepEqual(
    remoteEventFromFca({ type: "read_receipt", reader: "2", time: "77", threadID: "2" }, context),
    {
      type: "read_receipt",
      conversation: { thread: "2", kind: "direct" },
      actor: "2",
      timestamp: 77,
      fromSelf: false,
    },
  );
  assert.deepEqual(
    remoteEventFromFca({ type: "typ", isTyping: true, from: "2", threadID: "3" }, context),
    {
      type: "typing",
      conversation: { thread: "3", kind: "group" },
      actor: "2",
      typing: true,
      timestamp: 42,
      fromSelf: false,
    },
  );
  assert.deepEqual(
    remoteEventFromFca({ type: "presence", userID: "2", timestamp: 0, statuses: 0 }, context),
    { type: "presence", actor: "2", online: false },
  );
});

Deno.test("thread events, images, and ignored event kinds", () => {
  assert.deepEqual(
    remoteEventFromFca({
      type: "change_thread_image",
      threadID: "9",
      author: 2,
      timestamp: "100",
      image: { url: "https://x/i.jpg" },
    }, context),
    {
      type: "thread_image",
      conversation: { thread: "9", kind: "group" },
      actor: "2",
      timestamp: 100,
      fromSelf: false,
      url: "https://x/i.jpg",
    },
  );
  assert.equal(
    remoteEventFromFca({
      type: "event",
      threadID: "9",
      author: "2",
      logMessageType: "log:thread-color",
      logMessageData: {},
    }, context),
    null,
  );
  assert.equal(remoteEventFromFca({ type: "read" }, context), null);
});

Deno.test("a group admin change (fca's formatDeltaEvent of the admin text) names member and role", () => {
  const adminChange = (data: Record<string, unknown>) =>
    remoteEventFromFca({
      type: "event",
      threadID: "9",
      logMessageType: "change_thread_admins",
      logMessageData: data,
      logMessageBody: "Alice made Bob an admin.",
      author: "2",
    }, context);
  assert.deepEqual(adminChange({ TARGET_ID: "3", ADMIN_EVENT: "add_admin" }), {
    type: "admins_changed",
    conversation: { thread: "9", kind: "group" },
    actor: "2",
    user: "3",
    admin: true,
    timestamp: 42,
    fromSelf: false,
  });
  const removed = adminChange({ TARGET_ID: 1, ADMIN_EVENT: "remove_admin" });
  assert.equal(removed?.type === "admins_changed" && removed.admin, false);
  assert.equal(removed?.type === "admins_changed" && removed.user, "1");
  for (
    const data of [{ ADMIN_EVENT: "add_admin" }, { TARGET_ID: "3", ADMIN_EVENT: "constructor" }]
  ) {
    assert.equal(adminChange(data), null);
  }
});

Deno.test("bad or unexpected data gives null, never a throw", () => {
  const junk: unknown[] = [
    null,
    undefined,
    42,
    "message",
    [],
    {},
    { type: 5 },
    { type: "message" },
    { type: "message", threadID: {}, messageID: [], senderID: null },
    { type: "message_reaction", threadID: "1" },
    { type: "event", threadID: "1", author: "2", logMessageType: "log:thread-name" },
    { type: "event", threadID: "1", author: "2", logMessageType: "log:subscribe" },
    { type: "typ", from: "2" },
    { type: "presence" },
  ];
  for (const value of junk) assert.equal(remoteEventFromFca(value, context), null);
  const odd = remoteEventFromFca({
    type: "message",
    senderID: 2,
    threadID: 3,
    messageID: "m",
    attachments: [null, 7, { type: "mystery" }],
    mentions: null,
    timestamp: "not a number",
  }, context);
  assert.deepEqual(odd?.type === "message" && odd.attachments, [{ kind: "unknown" }]);
  assert.equal(odd?.type === "message" && odd.timestamp, 42);
});

Deno.test("attachments of each fca kind map to attachment kinds", () => {
  assert.deepEqual(attachmentFromFca({ type: "animated_image", url: "u", width: "4" }), {
    kind: "gif",
    url: "u",
    width: 4,
  });
  assert.deepEqual(attachmentFromFca({ type: "audio", url: "a", isVoiceMail: false }), {
    kind: "audio",
    url: "a",
    isVoice: false,
  });
  assert.deepEqual(attachmentFromFca({ type: "file", url: "f", fileSize: 10, mimeType: "x/y" }), {
    kind: "file",
    url: "f",
    contentType: "x/y",
    size: 10,
  });
  assert.equal(attachmentFromFca({ type: "error" })?.kind, "unknown");
  assert.equal(attachmentFromFca("nope"), undefined);
});

Deno.test("a parse_error of a NewMessage is rescued; others and own messages are not", () => {
  const delta = {
    class: "NewMessage",
    body: "hey @Al",
    data: { prng: JSON.stringify([{ o: 4, l: 3, i: 10 }]) },
    messageMetadata: {
      actorFbId: 2,
      messageId: "mid.$p",
      threadKey: { threadFbId: 9 },
      timestamp: "50",
    },
    attachments: [{
      mercury: { blob_attachment: { __typename: "MessageImage", filename: "i.jpg" } },
    }, {
      mercury: { blob_attachment: { __typename: "Weird" } },
    }],
  };
  assert.deepEqual(messageFromParseError({ type: "parse_error", res: { delta } }, context), {
    type: "message",
    conversation: { thread: "9", kind: "group" },
    actor: "2",
    id: "mid.$p",
    text: "hey @Al",
    attachments: [{ kind: "photo", filename: "i.jpg" }, { kind: "unknown" }],
    mentions: [{ user: "10", offset: 4, length: 3 }],
    timestamp: 50,
    fromSelf: false,
  });
  assert.equal(
    messageFromParseError({ type: "parse_error", res: { class: "ReadReceipt" } }, context),
    null,
  );
  const own = structuredClone(delta);
  own.messageMetadata.actorFbId = 1;
  assert.equal(messageFromParseError({ res: { delta: own } }, context), null);
});

Deno.test("every thread event names its conversation's kind; only own acts in new threads wait", () => {
  const reaction = (thread: string, user: string) => ({
    type: "message_reaction",
    threadID: thread,
    messageID: "mid.$a",
    reaction: "",
    senderID: "5",
    userID: user,
  });
  const undecided: string[] = [];
  const watching: ConversionContext = { ...context, undecided: (thread) => undecided.push(thread) };
  const kindOf = (raw: unknown, ctx = watching) => {
    const event = remoteEventFromFca(raw, ctx);
    return event !== null && "conversation" in event ? event.conversation.kind : undefined;
  };
  assert.equal(kindOf(reaction("2", "2")), "direct", "the other person in their 1:1 thread");
  assert.equal(kindOf(reaction("900", "2")), "group", "someone else's act in a thread not theirs");
  assert.deepEqual(undecided, []);
  assert.equal(kindOf(reaction("900", "1")), "direct", "own act, thread never seen: provisional");
  assert.deepEqual(undecided, ["900"]);
  const knowing: ConversionContext = {
    ...watching,
    kindOf: (t) => t === "900" ? "group" : undefined,
  };
  assert.equal(kindOf(reaction("900", "1"), knowing), "group", "own act in a known group");
  assert.equal(
    kindOf({ type: "read_receipt", reader: "1", time: 1, threadID: "900" }),
    "group",
    "own read in a group: fca names the group",
  );
  assert.equal(
    kindOf({
      type: "event",
      threadID: "2",
      author: "2",
      logMessageType: "log:thread-name",
      logMessageData: { name: "x" },
    }),
    "group",
  );
});
