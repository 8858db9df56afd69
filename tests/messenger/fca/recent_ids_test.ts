/** The bounded duplicate filter. */

import assert from "node:assert/strict";
import { RecentIds } from "../../../src/messenger/fca/recent_ids.ts";

Deno.test("an id is new once, then a duplicate", () => {
  const recent = new RecentIds(10);
  assert.equal(recent.add("a"), true);
  assert.equal(recent.add("a"), false);
});

Deno.test("the least recently seen id is forgotten first, and the size stays bounded", () => {
  const recent = new RecentIds(3);
  for (const id of ["a", "b", "c"]) recent.add(id);
  recent.add("a"); // Refreshes a: b is now the oldest.
  recent.add("d");
  assert.equal(recent.size, 3);
  assert.equal(recent.add("a"), false);
  assert.equal(recent.add("b"), true, "b was evicted");
});
