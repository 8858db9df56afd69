import assert from "node:assert/strict";
import type { FormStep } from "../../../src/gateway/command.ts";
import {
  ALICE,
  DOMAIN,
  gatewayFixture,
  noteOf,
  rejectsWith,
  submit,
  waitUntil,
} from "./_fixture.ts";

Deno.test("create-group makes a group with contacts and addresses, a new room that is bookmarked", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  const form = await f.start("create-group", ALICE) as FormStep;
  assert.deepEqual(form.fields.map((field) => field.name), ["name", "contacts", "others"]);
  const contacts = form.fields.find((field) => field.name === "contacts")!;
  assert.deepEqual(contacts.options?.map((option) => option.label).sort(), [
    "Bob Builder",
    "Echo Bot",
  ]);
  await rejectsWith(submit(form, { name: "Solo", contacts: ["200002"] }), "bad_input", /two/);
  await rejectsWith(
    submit(form, { name: "X", contacts: ["200002"], others: "not an id" }),
    "bad_input",
    /not a contact address or a Messenger id/,
  );
  const done = await submit(form, {
    name: "Picnic",
    contacts: ["200002"],
    others: `200001@${DOMAIN}`,
  });
  const created = f.network.control.operations("100001").operations.find((op) =>
    op.method === "createGroup"
  );
  assert.ok(created && "thread" in created && created.thread);
  assert.match(
    noteOf(done),
    new RegExp(`^Created the group Picnic: its room is ${created.thread}@`),
  );
  const bookmarked = f.port.calls.filter((call) => call.kind === "bookmarkRooms");
  assert.ok(
    bookmarked.some((call) =>
      call.kind === "bookmarkRooms" && call.rooms.some((room) => room.thread === created.thread)
    ),
  );
  const groups = await f.run("groups", ALICE);
  assert.match(noteOf(groups), /^2 groups/);
});

Deno.test("leave-group leaves the group on Messenger and ends its room", async () => {
  await using f = await gatewayFixture();
  await f.registerUser(ALICE, "alice");
  const form = await f.start("leave-group", ALICE) as FormStep;
  assert.deepEqual(form.fields[0].options, [{ value: "900001", label: "Hiking club" }]);
  assert.equal(noteOf(await submit(form, { group: "900001" })), "You left Hiking club");
  const left = f.network.control.operations("100001").operations.find((op) =>
    op.method === "removeFromGroup"
  );
  assert.ok(left);
  await waitUntil(() =>
    f.port.calls.some((call) => call.kind === "roomChanged" && call.change.kind === "removed")
  );
  await rejectsWith(f.start("leave-group", ALICE), "not_found", /no Messenger group/);
  assert.match(noteOf(await f.run("groups", ALICE)), /^You are in no Messenger group/);
});
