import assert from "node:assert/strict";
import { asThreadId } from "../../../src/messenger/ids.ts";
import { assertRejectsWith, EventRecorder } from "../_contract.ts";
import { ALICE, BOB, BOB_THREAD, CAROL, loginAlice, loginCarol, testNetwork } from "./_world.ts";

const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);

Deno.test("an outgoing attachment is served over loopback HTTP and reaches the other side", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const carol = await loginCarol(network);
  const events = new EventRecorder(carol);
  await alice.sendMessage(asThreadId(CAROL), {
    attachments: [{ filename: "cat.png", contentType: "image/png", data: png }],
  }, { isGroup: false });
  const message = await events.next("message");
  assert.equal(message.text, "");
  const [attachment] = message.attachments;
  assert.equal(attachment.kind, "photo");
  assert.equal(attachment.filename, "cat.png");
  assert.equal(attachment.size, png.byteLength);
  assert.match(attachment.url ?? "", /^http:\/\/127\.0\.0\.1:\d+\/files\/.+\/cat\.png$/);
  const response = await fetch(attachment.url as string);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-type"), "image/png");
  assert.deepEqual(new Uint8Array(await response.arrayBuffer()), png);
  await network.close();
});

Deno.test("the operation log records attachments by name, type, size and URL, not bytes", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  await alice.sendMessage(BOB_THREAD, {
    text: "two files",
    attachments: [
      { filename: "a.gif", contentType: "image/gif", data: new Uint8Array(3) },
      { filename: "notes.pdf", contentType: "application/pdf", data: new Uint8Array(10) },
    ],
  }, { isGroup: false });
  const operation = network.control.operations(ALICE).operations.at(-1);
  assert.equal(operation?.method, "sendMessage");
  if (operation?.method !== "sendMessage") return;
  assert.deepEqual(
    operation.attachments.map(({ filename, contentType, size }) => [filename, contentType, size]),
    [["a.gif", "image/gif", 3], ["notes.pdf", "application/pdf", 10]],
  );
  assert.ok(operation.attachments.every((attachment) => attachment.url.startsWith("http://")));
  await network.close();
});

Deno.test("an injected attachment given as base64 is served and its URL is in the event", async () => {
  const network = testNetwork();
  await loginAlice(network);
  const [event] = await network.control.inject(ALICE, {
    type: "message",
    sender: BOB,
    attachments: [{
      data: btoa("voice bytes"),
      filename: "v.ogg",
      contentType: "audio/ogg",
      isVoice: true,
    }],
  });
  assert.equal(event.type, "message");
  if (event.type !== "message") return;
  const [attachment] = event.attachments;
  assert.equal(attachment.kind, "audio");
  assert.equal(attachment.isVoice, true);
  assert.equal(attachment.size, 11);
  assert.equal(await (await fetch(attachment.url as string)).text(), "voice bytes");
  await network.close();
});

Deno.test("an uploaded file can be referred to by URL in later injections", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  const events = new EventRecorder(alice);
  const stored = network.control.uploadFile(png, "shared.png", "image/png");
  await network.control.inject(ALICE, {
    type: "message",
    sender: BOB,
    text: "look",
    attachments: [{ kind: "photo", url: stored.url, width: 10, height: 20 }],
  });
  const message = await events.next("message");
  assert.deepEqual(message.attachments, [{
    kind: "photo",
    url: stored.url,
    width: 10,
    height: 20,
  }]);
  const response = await fetch(stored.url, { method: "HEAD" });
  await response.body?.cancel();
  assert.equal(response.status, 200);
  await network.close();
});

Deno.test("unknown files answer 404 and other methods 405", async () => {
  const network = testNetwork();
  const stored = network.control.uploadFile(png, "x.png", "image/png");
  const base = new URL(stored.url).origin;
  const missing = await fetch(`${base}/files/nothing/x.png`);
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
  const post = await fetch(stored.url, { method: "POST" });
  assert.equal(post.status, 405);
  await post.body?.cancel();
  await network.close();
});

Deno.test("the oldest files are dropped beyond the memory budget, like expired URLs", async () => {
  const network = testNetwork({ maxFileBytes: 10 });
  const first = network.control.uploadFile(new Uint8Array(6), "1.bin", "application/octet-stream");
  const second = network.control.uploadFile(new Uint8Array(6), "2.bin", "application/octet-stream");
  const gone = await fetch(first.url);
  assert.equal(gone.status, 404);
  await gone.body?.cancel();
  const kept = await fetch(second.url);
  assert.equal(kept.status, 200);
  await kept.body?.cancel();
  await network.close();
});

Deno.test("an attachment above 25 MB is bad_request", async () => {
  const network = testNetwork();
  const alice = await loginAlice(network);
  await assertRejectsWith(
    alice.sendMessage(BOB_THREAD, {
      attachments: [{
        filename: "big.bin",
        contentType: "application/octet-stream",
        data: new Uint8Array(25 * 1024 * 1024 + 1),
      }],
    }, { isGroup: false }),
    "bad_request",
  );
  await network.close();
});

Deno.test("invalid base64 in an injection is bad_request naming the field", async () => {
  const network = testNetwork();
  await assert.rejects(
    network.control.inject(ALICE, {
      type: "message",
      sender: BOB,
      attachments: [{ data: "not base64!" }],
    }),
    /attachments\[0\]\.data must be base64/,
  );
  await network.close();
});
