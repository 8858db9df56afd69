import assert from "node:assert/strict";
import {
  createSimulatedNetwork,
  isLoopbackHostname,
} from "../../../src/messenger/simulated/mod.ts";
import { EventRecorder } from "../_contract.ts";
import { ALICE, BOB, BOB_THREAD, loginAlice, testNetwork } from "./_world.ts";

/** Sends a request and returns the status and parsed JSON body. */
async function call(
  url: string,
  init: { method?: string; body?: unknown; raw?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: init.method ?? (init.body === undefined && init.raw === undefined ? "GET" : "POST"),
    body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
  });
  return { status: response.status, body: await response.json() };
}

Deno.test("GET /accounts lists the accounts and their sessions, never passwords", async () => {
  const network = testNetwork();
  const url = network.startControlServer({ hostname: "127.0.0.1", port: 0 });
  await loginAlice(network);
  const { status, body } = await call(`${url}/accounts`);
  assert.equal(status, 200);
  const accounts = body.accounts as { userId: string; sessions: unknown[] }[];
  assert.deepEqual(accounts.map((account) => account.userId), ["100001", "100002", "100003"]);
  assert.deepEqual(accounts[0].sessions, [{ id: 1, status: "connected" }]);
  assert.ok(!JSON.stringify(body).includes("horse"));
  await network.close();
});

Deno.test("POST events injects a friend's message and answers the created event", async () => {
  const network = testNetwork();
  const url = network.startControlServer({ hostname: "127.0.0.1", port: 0 });
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  const { status, body } = await call(`${url}/accounts/${ALICE}/events`, {
    body: { type: "message", sender: BOB, text: "over HTTP" },
  });
  assert.equal(status, 200);
  const [created] = body.events as {
    id: string;
    conversation: { thread: string };
    timestamp: number;
  }[];
  assert.match(created.id, /^mid\.\$sim/);
  assert.equal(created.conversation.thread, BOB_THREAD);
  const delivered = await events.next("message");
  assert.equal(delivered.id, created.id);
  assert.equal(delivered.text, "over HTTP");
  await network.close();
});

Deno.test("POST events takes a list, applied in order, with chosen ids and times", async () => {
  const network = testNetwork();
  const url = network.startControlServer({ hostname: "127.0.0.1", port: 0 });
  const { status, body } = await call(`${url}/accounts/${ALICE}/events`, {
    body: [
      { type: "message", sender: BOB, text: "first", id: "mid.$test1", timestamp: 1000 },
      { type: "reaction", reactor: BOB, messageId: "mid.$test1", reaction: "🔥" },
      { type: "unsend", sender: BOB, messageId: "mid.$test1", thread: BOB },
    ],
  });
  assert.equal(status, 200);
  assert.deepEqual((body.events as { type: string }[]).map((event) => event.type), [
    "message",
    "reaction",
    "unsend",
  ]);
  assert.equal((body.events as { timestamp: number }[])[0].timestamp, 1000);
  await network.close();
});

Deno.test("GET operations pages with the since cursor", async () => {
  const network = testNetwork();
  const url = network.startControlServer({ hostname: "127.0.0.1", port: 0 });
  const alice = await loginAlice(network);
  await alice.sendMessage(BOB_THREAD, { text: "one" }, { isGroup: false });
  const first = await call(`${url}/accounts/${ALICE}/operations`);
  assert.equal(first.status, 200);
  assert.equal(first.body.next, 3);
  await alice.sendMessage(BOB_THREAD, { text: "two" }, { isGroup: false });
  const second = await call(`${url}/accounts/${ALICE}/operations?since=${first.body.next}`);
  const operations = second.body.operations as { method: string; text: string; seq: number }[];
  assert.deepEqual(operations.map((op) => [op.seq, op.method, op.text]), [[
    4,
    "sendMessage",
    "two",
  ]]);
  assert.equal((await call(`${url}/accounts/${ALICE}/operations?since=x`)).status, 400);
  await network.close();
});

Deno.test("faults can be added, listed and cleared over HTTP", async () => {
  const network = testNetwork();
  const url = network.startControlServer({ hostname: "127.0.0.1", port: 0 });
  const alice = await loginAlice(network);
  const added = await call(`${url}/accounts/${ALICE}/faults`, {
    body: { kind: "fail", method: "sendMessage", code: "rate_limited", times: 3 },
  });
  assert.equal(added.status, 200);
  assert.deepEqual(added.body.faults, [{
    kind: "fail",
    method: "sendMessage",
    code: "rate_limited",
    times: 3,
    remaining: 3,
  }]);
  assert.equal(((await call(`${url}/accounts/${ALICE}/faults`)).body.faults as []).length, 1);
  const cleared = await call(`${url}/accounts/${ALICE}/faults`, { method: "DELETE" });
  assert.deepEqual(cleared.body, { faults: [] });
  await alice.sendMessage(BOB_THREAD, { text: "works" }, { isGroup: false });
  const dropped = await call(`${url}/accounts/${ALICE}/faults`, {
    // Long enough that the reply reaches a loaded machine's test before the reconnection.
    body: { kind: "drop_connection", downMs: 1500 },
  });
  assert.equal(dropped.status, 200);
  assert.equal(alice.state.status, "transient_disconnect");
  await call(`${url}/idle`, { method: "POST" });
  assert.equal(alice.state.status, "connected");
  await network.close();
});

Deno.test("POST /files stores raw bytes and answers where they are served", async () => {
  const network = testNetwork();
  const url = network.startControlServer({ hostname: "127.0.0.1", port: 0 });
  const response = await fetch(`${url}/files?filename=hello.txt&contentType=text/plain`, {
    method: "POST",
    body: "hello file",
  });
  assert.equal(response.status, 201);
  const stored = await response.json();
  assert.equal(stored.size, 10);
  assert.equal(stored.filename, "hello.txt");
  assert.equal(await (await fetch(stored.url)).text(), "hello file");
  await network.close();
});

Deno.test("GET threads and POST redeliver work over HTTP", async () => {
  const network = testNetwork();
  const url = network.startControlServer({ hostname: "127.0.0.1", port: 0 });
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  const [message] = await network.control.inject(ALICE, {
    type: "message",
    sender: BOB,
    text: "x",
  });
  const threads = await call(`${url}/accounts/${ALICE}/threads`);
  assert.equal((threads.body.threads as { id: string }[])[0].id, BOB);
  const redelivered = await call(`${url}/accounts/${ALICE}/redeliver`, {
    body: { messageId: message.type === "message" ? message.id : "" },
  });
  assert.deepEqual(redelivered, { status: 200, body: { sessions: 1 } });
  assert.equal(events.ofType("message").length, 1);
  await network.close();
});

Deno.test("bad JSON, invalid events and unknown accounts or routes get JSON errors", async () => {
  const network = testNetwork();
  const url = network.startControlServer({ hostname: "127.0.0.1", port: 0 });
  const cases: [string, { method?: string; body?: unknown; raw?: string }, number, string][] = [
    [`/accounts/${ALICE}/events`, { raw: "{not json" }, 400, "The body is not valid JSON"],
    [`/accounts/${ALICE}/events`, { raw: "" }, 400, "The body is empty: send JSON"],
    [
      `/accounts/${ALICE}/events`,
      { body: { type: "message", sender: BOB, txt: "typo" } },
      400,
      "txt is not a known field",
    ],
    [
      `/accounts/${ALICE}/events`,
      { body: [{ type: "message", sender: BOB, text: "ok" }, { type: "nope" }] },
      400,
      "events[1].type must be one of",
    ],
    [`/accounts/999/events`, { body: { type: "typing", user: BOB } }, 404, "No account 999"],
    [
      `/accounts/${ALICE}/events`,
      { body: { type: "message", sender: "12345", text: "who?" } },
      404,
      "No Messenger user 12345",
    ],
    [`/accounts/999/operations`, {}, 404, "No account 999"],
    [`/nothing`, {}, 404, "No endpoint /nothing"],
    [`/accounts`, { method: "DELETE" }, 405, "Use GET on /accounts"],
  ];
  for (const [path, init, status, text] of cases) {
    const response = await call(`${url}${path}`, init);
    assert.equal(response.status, status, path);
    const error = response.body.error as { code: string; message: string };
    assert.ok(error.message.includes(text), `${path}: ${error.message}`);
  }
  await network.close();
});

Deno.test("the control API refuses to listen on a non-loopback address", async () => {
  const network = testNetwork();
  for (const hostname of ["0.0.0.0", "::", "192.168.1.10", "example.com"]) {
    assert.throws(
      () => network.startControlServer({ hostname, port: 0 }),
      /must listen on a loopback address .* not "[^"]+": it has no authentication/,
    );
  }
  assert.equal(network.controlUrl, undefined);
  await network.close();
});

Deno.test("loopback addresses are recognised", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]"]) {
    assert.ok(isLoopbackHostname(host), host);
  }
  for (const host of ["0.0.0.0", "128.0.0.1", "127.0.0", "localhost.example.com", "::"]) {
    assert.ok(!isLoopbackHostname(host), host);
  }
});

Deno.test("createSimulatedNetwork loads the world file and starts the control API", async () => {
  const world = new URL("../../../examples/world.toml", import.meta.url).pathname;
  const network = await createSimulatedNetwork({
    world,
    control: { hostname: "127.0.0.1", port: 0 },
  });
  const { status } = await call(`${network.controlUrl}/accounts`);
  assert.equal(status, 200);
  await network.close();
  await assert.rejects(
    createSimulatedNetwork({ world, control: { hostname: "0.0.0.0", port: 0 } }),
    /loopback/,
  );
});
