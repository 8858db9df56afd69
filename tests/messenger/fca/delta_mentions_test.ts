/** Mentions from raw message deltas in each recorded shape, 2020 and 2026. */

import assert from "node:assert/strict";
import { decodeClientPayload } from "../../../src/messenger/fca/delta_tap.ts";
import { mentionsFromDelta } from "../../../src/messenger/fca/delta_mentions.ts";
import { wire } from "./recorded/deltas.ts";

const BOB = "100003";
const CAROL = "100004";

Deno.test("2020: data.prng", () => {
  assert.deepEqual(mentionsFromDelta(wire("mention_message")), [
    { user: BOB, offset: 3, length: 12 },
  ]);
});

Deno.test("2026: comma lists", () => {
  assert.deepEqual(mentionsFromDelta(wire("mention_comma_lists_2026")), [
    { user: BOB, offset: 3, length: 4 },
    { user: CAROL, offset: 12, length: 6 },
  ]);
});

Deno.test("2026: ranges (a JSON string under data) and profileRanges (a list on the delta)", () => {
  assert.deepEqual(mentionsFromDelta(wire("mention_ranges_2026")), [
    { user: "100002", offset: 5, length: 13 },
  ]);
  assert.deepEqual(mentionsFromDelta(wire("mention_profile_ranges_2026")), [
    { user: BOB, offset: 0, length: 4 },
  ]);
});

Deno.test("2026: the typed metadata map", () => {
  assert.deepEqual(mentionsFromDelta(wire("mention_typed_metadata_2026")), [
    { user: CAROL, offset: 7, length: 6 },
  ]);
});

Deno.test("2026: a reply's message, with comma lists", () => {
  const payload = decodeClientPayload(wire("reply_with_comma_mentions_2026").payload);
  const reply = (payload?.deltas as { deltaMessageReply: { message: unknown } }[])[0]
    .deltaMessageReply.message;
  assert.deepEqual(mentionsFromDelta(reply), [{ user: BOB, offset: 0, length: 4 }]);
});

Deno.test("no mention data at all is undefined; bad entries are dropped", () => {
  assert.equal(mentionsFromDelta(wire("text_message")), undefined);
  assert.equal(mentionsFromDelta("not a delta"), undefined);
  assert.deepEqual(
    mentionsFromDelta({
      body: "short",
      data: { mention_ids: "1,,3,4", mention_offsets: "0,1,3,-1", mention_lengths: "2,1,9,1" },
    }),
    [{ user: "1", offset: 0, length: 2 }],
    "empty id, out of range and negative offset are dropped",
  );
});
