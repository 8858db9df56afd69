import assert from "node:assert/strict";
import { loadWorld, parseWorld, WorldError } from "../../../src/messenger/simulated/mod.ts";
import { TEST_WORLD } from "./_world.ts";

function problemsOf(text: string): string[] {
  try {
    parseWorld(text, "w.toml");
  } catch (error) {
    assert.ok(error instanceof WorldError, String(error));
    assert.equal(error.file, "w.toml");
    return error.problems.map((problem) => problem.message);
  }
  throw new Error("the world was accepted");
}

const MINIMAL = `
[[account]]
email = "a@example.com"
password = "secret-password"
user_id = "1"
name = "A"
`;

Deno.test("the example world file loads with its accounts, users and groups", async () => {
  const world = await loadWorld(new URL("../../../examples/world.toml", import.meta.url).pathname);
  assert.deepEqual(world.accounts.map((account) => account.email), [
    "alice@example.com",
    "carol@example.com",
    "dave@example.com",
  ]);
  const alice = world.accounts[0];
  assert.equal(alice.twoFactorCode, "123456");
  assert.equal(alice.cookies?.find((cookie) => cookie.key === "xs")?.value, "abc");
  assert.deepEqual(alice.messageRequests, [{
    from: "300001",
    text: "Hi! Saw your post about the hike, can I join?",
  }]);
  assert.equal(world.users.find((user) => user.id === "200001")?.echo, true);
  assert.ok(world.accounts[2].checkpoint);
  const shared = world.groups.find((group) => group.id === "900002");
  assert.deepEqual(shared?.members.toSorted(), ["100001", "100002", "200002"]);
  assert.equal(shared?.name, "Carol and friends");
});

Deno.test("friendship between two accounts is made mutual", () => {
  const world = parseWorld(TEST_WORLD, "test.toml");
  const carol = world.accounts.find((account) => account.userId === "100002");
  assert.deepEqual(carol?.friends, ["100001"]);
});

Deno.test("a world without accounts is refused", () => {
  assert.deepEqual(problemsOf(`[[user]]\nid = "1"\nname = "U"\n`), [
    "World file w.toml: account must list at least one [[account]]",
  ]);
});

Deno.test("every missing key is reported with the file and the key", () => {
  const problems = problemsOf(`[[account]]\nname = "A"\n`);
  assert.deepEqual(problems, [
    "World file w.toml: account[0].user_id is missing",
    "World file w.toml: account[0].email is missing",
    "World file w.toml: account[0].password is missing",
  ]);
});

Deno.test("an unknown key is reported with the keys that are known", () => {
  const [problem] = problemsOf(MINIMAL + `two_factor = "1"\n`);
  assert.match(problem, /^World file w\.toml: account\[0\]\.two_factor is not a known key/);
  assert.match(problem, /two_factor_code/);
});

Deno.test("ids must be numeric", () => {
  const problems = problemsOf(MINIMAL + `  [[account.friend]]\n  id = "bob"\n  name = "Bob"\n`);
  assert.deepEqual(problems, [
    `World file w.toml: account[0].friend[0].id must be a numeric id such as "100001"`,
  ]);
});

Deno.test("TOML syntax errors give the line but never quote it, since it may hold a password", () => {
  const [problem] = problemsOf(`[[account]]\npassword = "hunter2\n`);
  assert.match(problem, /^World file w\.toml is not valid TOML at line 2, column \d+/);
  assert.ok(!problem.includes("hunter2"), problem);
});

Deno.test("wrong secrets are reported without their values", () => {
  const problems = problemsOf(`
[[account]]
email = "a@example.com"
password = 123456789
two_factor_code = 987654
cookies = "c_user=2; xs=very-secret-xs"
user_id = "1"
name = "A"
`);
  assert.deepEqual(problems, [
    "World file w.toml: account[0].password must be a non-empty string (put it in quotes)",
    "World file w.toml: account[0].two_factor_code must be a non-empty string (put it in quotes)",
    "World file w.toml: account[0].cookies must have c_user equal to user_id",
  ]);
  for (const problem of problems) {
    assert.ok(!/123456789|987654|very-secret-xs/.test(problem), problem);
  }
});

Deno.test("cookies without xs are refused", () => {
  const [problem] = problemsOf(MINIMAL + `cookies = "c_user=1"\n`);
  assert.match(problem, /account\[0\]\.cookies is not valid: Cookies are missing xs/);
});

Deno.test("group members must be users of the world and the group needs someone else", () => {
  const problems = problemsOf(
    MINIMAL + `  [[account.group]]\n  id = "9"\n  members = ["77"]\n` +
      `  [[account.group]]\n  id = "8"\n  members = []\n`,
  );
  assert.deepEqual(problems, [
    "World file w.toml: account[0].group[1].members must name at least one other member",
    "World file w.toml: account[0].group[0].members names 77, who is not a user of this world",
  ]);
});

Deno.test("repeated emails, user ids and conflicting names are reported", () => {
  const problems = problemsOf(
    MINIMAL + MINIMAL.replace(`name = "A"`, `name = "Other"`) +
      `  [[account.friend]]\n  id = "1"\n  name = "A"\n`,
  );
  assert.deepEqual(problems, [
    "World file w.toml: account[1].email repeats the email of account[0]",
    "World file w.toml: account[1].name differs from the name given to the same id in account[0]",
    "World file w.toml: account[1].user_id repeats the user_id of another account",
    "World file w.toml: account[1].friend[0].id is the account's own user_id",
  ]);
});

Deno.test("an echo flag on a user who is an account is refused", () => {
  const problems = problemsOf(
    MINIMAL + `  [[account.friend]]\n  id = "2"\n  name = "B"\n  echo = true\n` +
      MINIMAL.replace(`"1"`, `"2"`).replace(`"A"`, `"B"`).replace("a@", "b@"),
  );
  assert.deepEqual(problems, [
    "World file w.toml: account[0].friend[0].echo cannot be set on a user who is also an account",
  ]);
});

Deno.test("a message request must come from a known user who is not a friend", () => {
  const problems = problemsOf(
    MINIMAL + `  [[account.friend]]\n  id = "2"\n  name = "B"\n` +
      `  [[account.message_request]]\n  from = "2"\n  text = "hi"\n` +
      `  [[account.message_request]]\n  from = "3"\n  text = "hi"\n`,
  );
  assert.deepEqual(problems, [
    "World file w.toml: account[0].message_request[0].from must be someone who is not a friend",
    "World file w.toml: account[0].message_request[1].from is not a user of this world",
  ]);
});

Deno.test("a group id that is also a user id is refused", () => {
  const problems = problemsOf(
    MINIMAL + `  [[account.friend]]\n  id = "2"\n  name = "B"\n` +
      `  [[account.group]]\n  id = "2"\n  members = ["2"]\n`,
  );
  assert.deepEqual(problems, [
    "World file w.toml: account[0].group[0].id is also the id of a user",
  ]);
});

Deno.test("a missing world file is reported by path", async () => {
  await assert.rejects(loadWorld("/nonexistent/world.toml"), (error: unknown) => {
    assert.ok(error instanceof WorldError);
    assert.equal(error.message, "World file /nonexistent/world.toml does not exist");
    return true;
  });
});

Deno.test("integer ids are accepted and become strings", () => {
  const world = parseWorld(MINIMAL.replace(`user_id = "1"`, "user_id = 1"), "w.toml");
  assert.equal(world.accounts[0].userId, "1");
});
