import assert from "node:assert/strict";
import type { FormStep } from "../../../src/gateway/command.ts";
import { duration } from "../../../src/gateway/commands/statistics.ts";
import {
  ADMIN,
  ALICE,
  CAROL,
  gatewayFixture,
  noteOf,
  rejectsWith,
  rowsOf,
  submit,
} from "./_fixture.ts";

Deno.test("list-users shows each registered user with their login state", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(CAROL, "carol");
  await f.registerUser(ALICE, "alice");
  const listed = await f.run("list-users", ADMIN);
  assert.equal(noteOf(listed), "2 registered users");
  assert.deepEqual(
    rowsOf(listed).map((row) => [row.jid, row.state]),
    [[ALICE, "Connected as Alice Example"], [CAROL, "Connected as Carol Cookies"]],
  );
});

Deno.test("delete-user unregisters a user and deletes all their data; unknown users are named", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  await f.registerUser(CAROL, "carol");
  await f.kv.set(["user", ALICE, "msg", "seen", "mid.1"], true);
  const form = await f.start("delete-user", ADMIN) as FormStep;
  await rejectsWith(
    submit(form, { jid: "nobody@example.org" }),
    "not_found",
    /^nobody@example\.org is not registered$/,
  );
  assert.match(
    noteOf(await submit(form, { jid: "Alice@Example.org/phone" })),
    /^Deleted alice@example\.org/,
  );
  assert.equal(f.gateway.isRegistered(ALICE), false);
  const keys = await f.keys();
  assert.ok(keys.every((key) => !key.includes(ALICE)), keys.join("\n"));
  assert.ok(keys.some((key) => key.includes(CAROL)), "other users keep their data");
  assert.ok(f.port.messages(ADMIN).includes(`${ALICE} has unregistered (admin)`));
});

Deno.test("log-level offers the levels with the current one and changes it", async () => {
  await using f = await gatewayFixture();
  const form = await f.start("log-level", ADMIN) as FormStep;
  const [level] = form.fields;
  assert.equal(level.value, "info");
  assert.deepEqual(level.options?.map((option) => option.value), [
    "trace",
    "debug",
    "info",
    "warning",
    "error",
    "fatal",
  ]);
  assert.equal(
    noteOf(await submit(form, { level: "debug" })),
    "The log level is now debug (was info)",
  );
  assert.deepEqual(f.levelsSet, ["debug"]);
});

Deno.test("statistics counts users, sessions by state, bridged messages, uptime and memory", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  f.gateway.counters.toMessenger = 3;
  f.gateway.counters.toXmpp = 5;
  const stats = await f.run("statistics", ADMIN);
  assert.equal(noteOf(stats), "1 user, 1 connected");
  const rows = Object.fromEntries(rowsOf(stats).map((row) => [row.what, row.value]));
  assert.equal(rows["Registered users"], "1");
  assert.equal(rows["Sessions connected"], "1");
  assert.equal(rows["Sessions needs reauth"], "0");
  assert.equal(rows["Messages to Messenger"], "3");
  assert.equal(rows["Messages to XMPP"], "5");
  assert.match(rows["Uptime"], /^1 h 2 min \d+ s$/);
  assert.equal(rows["Memory (RSS)"], "50.0 MiB");
});

Deno.test("durations read as days, hours, minutes and seconds", () => {
  assert.equal(duration(0), "0 s");
  assert.equal(duration(61_000), "1 min 1 s");
  assert.equal(duration(90_061_000), "1 d 1 h 1 min 1 s");
  assert.equal(duration(3_600_000), "1 h 0 min 0 s");
});
