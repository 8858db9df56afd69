/**
 * The raw-payload tap in front of fca: batches split one delta each, repairs, exact thread kinds,
 * kept message deltas, and a debug note for everything fca will ignore (recorded shapes).
 */

import assert from "node:assert/strict";
import {
  decodeClientPayload,
  tapSyncPayload,
  typingThreadKind,
} from "../../../src/messenger/fca/delta_tap.ts";
import { type RecordedName, wire } from "./recorded/deltas.ts";

function batch(...names: RecordedName[]): string {
  return JSON.stringify({ deltas: names.map(wire), firstDeltaSeqId: 7, lastIssuedSeqId: 9 });
}

Deno.test("a batch is split into one payload per delta, each with the batch's envelope", () => {
  const tapped = tapSyncPayload(batch("text_message", "read_receipt"));
  assert.ok(tapped !== undefined && typeof tapped.parts !== "string");
  assert.equal(tapped.parts.length, 2);
  for (const [index, part] of tapped.parts.entries()) {
    const parsed = JSON.parse(part.payload);
    assert.equal(parsed.firstDeltaSeqId, 7);
    assert.equal(parsed.lastIssuedSeqId, 9);
    assert.equal(parsed.deltas.length, 1);
    assert.equal(parsed.deltas[0].class, ["NewMessage", "ReadReceipt"][index]);
  }
});

Deno.test("a sync answer without deltas goes to fca unchanged; non-JSON is left to fca", () => {
  const answer = JSON.stringify({ firstDeltaSeqId: 5, syncToken: "t", lastIssuedSeqId: 5 });
  assert.equal(tapSyncPayload(answer)?.parts, answer);
  assert.equal(tapSyncPayload("not json"), undefined);
});

Deno.test("a NewMessage without attachments gets an empty list, and a note", () => {
  const tapped = tapSyncPayload(batch("message_without_attachments_2026"));
  assert.ok(tapped !== undefined && typeof tapped.parts !== "string");
  assert.deepEqual(JSON.parse(tapped.parts[0].payload).deltas[0].attachments, []);
  assert.deepEqual(tapped.notes, [
    "Repaired a NewMessage without attachments (fca 1.3.10 crashes on it)",
  ]);
});

Deno.test("thread keys name the kinds exactly, ClientPayload ones too", () => {
  const tapped = tapSyncPayload(
    batch("text_message", "mention_message", "reaction", "reply_with_comma_mentions_2026"),
  );
  assert.deepEqual(tapped?.kinds, [
    ["100002", "direct"],
    ["900001", "group"],
    ["100002", "direct"],
    ["900001", "group"],
  ]);
});

Deno.test("message deltas are kept by id: new messages and replies", () => {
  const tapped = tapSyncPayload(
    batch("mention_comma_lists_2026", "reply_with_comma_mentions_2026"),
  );
  assert.deepEqual(tapped?.messages.map(([id]) => id), ["mid.$commas2026", "mid.$reply2026"]);
  assert.equal(tapped?.messages[1][1].body, "@Bob ça marche", "UTF-8 decoded, not Latin-1");
});

Deno.test("what fca ignores gets a debug note: classes, admin texts, ClientPayload deltas", () => {
  const tapped = tapSyncPayload(
    batch("unknown_class_2026", "unknown_admin_text_2026", "unknown_client_payload_2026"),
  );
  assert.deepEqual(tapped?.notes, [
    "Ignored a delta of class ThreadFolder",
    "Ignored an admin text: pin_messages_v2",
    "Ignored a ClientPayload delta: deltaUpdatePinnedMessagesV2",
  ]);
});

Deno.test("an admin change, which fca drops, is marked for rescue without a note; nothing else is", () => {
  const tapped = tapSyncPayload(
    batch("thread_admin_added", "unknown_admin_text_2026", "thread_name", "text_message"),
  );
  assert.ok(tapped !== undefined && typeof tapped.parts !== "string");
  assert.deepEqual(tapped.parts.map((part) => part.rescue), [true, false, false, false]);
  assert.equal(tapped.parts[0].delta.type, "change_thread_admins");
  assert.deepEqual(tapped.notes, ["Ignored an admin text: pin_messages_v2"]);
  assert.deepEqual(tapped.kinds[0], ["900001", "group"]);
});

Deno.test("typing: the group topic names the group, the 1:1 topic the typist's thread", () => {
  assert.deepEqual(
    typingThreadKind("/thread_typing", JSON.stringify(wire("typing_group"))),
    ["900001", "group"],
  );
  assert.deepEqual(
    typingThreadKind("/orca_typing_notifications", JSON.stringify(wire("typing_direct_2026"))),
    ["100002", "direct"],
  );
  assert.equal(
    typingThreadKind("/thread_typing", JSON.stringify(wire("typing_direct_stop"))),
    undefined,
    "a group topic without a group says nothing",
  );
});

Deno.test("a ClientPayload byte array decodes as UTF-8; garbage does not", () => {
  const payload = wire("reply").payload;
  assert.equal(
    JSON.stringify(decodeClientPayload(payload)).includes("très bien 👍"),
    true,
  );
  assert.equal(decodeClientPayload([0xff, 0xfe]), undefined);
  assert.equal(decodeClientPayload("nope"), undefined);
});
