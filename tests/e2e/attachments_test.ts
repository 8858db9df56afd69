/**
 * Attachments both ways, end to end: a real Prosody (with mod_http_file_share where re-uploads are
 * tested), the real gateway process on the simulated network (driven through its loopback control
 * API), real clients, and a loopback web server standing in for the users' upload server.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { xml, type XmlElement } from "./_harness/client.ts";
import type { TomlTable } from "./_harness/gateway.ts";
import { freePorts, type ProsodyOptions } from "./_harness/prosody.ts";
import { chat, registeredAlice } from "./_harness/registered_alice.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const MiB = 1024 * 1024;

/** Bytes that look like a PNG (the gateway does not decode images). */
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...range(200)]);
const PDF = new TextEncoder().encode("%PDF-1.4\n" + "x".repeat(3000));
const VOICE = Uint8Array.from(range(500));

function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i % 256);
}

/** A loopback web server with the files users "uploaded" to their server. */
function userUploads() {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    switch (path) {
      case "/up/k3y/Report%202024.pdf":
        return new Response(PDF, { headers: { "content-type": "application/pdf" } });
      case "/up/k3y/IMG_0001.jpg":
        return new Response(PNG, { headers: { "content-type": "image/jpeg" } });
      case "/up/k3y/huge.mp4":
        return new Response(new Uint8Array(2 * MiB), { headers: { "content-type": "video/mp4" } });
      default:
        return new Response("not found", { status: 404 });
    }
  });
  return {
    base: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** Alice registered and online; `messages` is merged over messages.reconnect_wait = 10. */
function setup(options: { messages?: TomlTable; prosody?: ProsodyOptions } = {}) {
  return registeredAlice({
    config: { messages: { reconnect_wait: 10, ...options.messages } },
    ...(options.prosody ? { prosody: options.prosody } : {}),
  });
}

function from(jid: string, predicate: (s: XmlElement) => boolean) {
  return (s: XmlElement) => s.is("message") && s.attrs.from?.split("/")[0] === jid && predicate(s);
}

function oob(stanza: XmlElement): { url?: string; desc?: string } {
  const x = stanza.getChild("x", "jabber:x:oob");
  return { url: x?.getChildText("url") ?? undefined, desc: x?.getChildText("desc") ?? undefined };
}

function fileMetadata(stanza: XmlElement): Record<string, string | null> {
  const file = stanza.getChild("file-sharing", "urn:xmpp:sfs:0")?.getChild(
    "file",
    "urn:xmpp:file:metadata:0",
  );
  return {
    mediaType: file?.getChildText("media-type") ?? null,
    name: file?.getChildText("name") ?? null,
    size: file?.getChildText("size") ?? null,
  };
}

function errorOf(stanza: XmlElement): { condition?: string; text: string } {
  const error = stanza.getChild("error");
  return {
    condition: error?.getChildElements().find((c) => c.name !== "text")?.name,
    text: error?.getChildText("text") ?? "",
  };
}

async function bytesAt(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  assert.equal(response.status, 200, `GET ${url}`);
  return new Uint8Array(await response.arrayBuffer());
}

Deno.test({
  name: "every kind of Messenger attachment reaches the client as a link it can show",
  ...e2e,
  async fn() {
    await using t = await setup();
    const { alice, control, bob } = t;
    const [message] = await control.inject({
      type: "message",
      sender: "200002",
      text: "Look!",
      attachments: [
        { data: encodeBase64(PNG), filename: "view.png", contentType: "image/png" },
        { data: encodeBase64(PDF), filename: "notes.pdf", contentType: "application/pdf" },
        {
          kind: "audio",
          isVoice: true,
          data: encodeBase64(VOICE),
          filename: "audioclip.mp4",
          contentType: "audio/mp4",
        },
        { kind: "location", latitude: 52.5163, longitude: 13.3777, title: "Brandenburger Tor" },
        { kind: "share", url: "https://news.example/story", title: "Big news" },
        { kind: "unknown" },
      ],
    });
    const id = message.id!;
    const part = async (n: number) =>
      await alice.waitFor(
        from(bob, (s) => s.attrs.id === (n === 0 ? id : `${id}#${n}`)),
        10_000,
        `part ${n} of ${id}`,
      );

    // The text first, then one stanza per attachment, each with its own id.
    assert.equal((await part(0)).getChildText("body"), "Look!");

    const photo = await part(1);
    const photoUrl = photo.getChildText("body")!;
    assert.match(photoUrl, /^http:\/\/127\.0\.0\.1:\d+\/files\/.+\/view\.png$/);
    assert.deepEqual(oob(photo), { url: photoUrl, desc: "view.png" });
    assert.deepEqual(fileMetadata(photo), {
      mediaType: "image/png",
      name: "view.png",
      size: String(PNG.byteLength),
    });
    assert.deepEqual(await bytesAt(photoUrl), PNG, "the photo's bytes at the URL the client got");

    const file = await part(2);
    assert.deepEqual(oob(file), { url: file.getChildText("body")!, desc: "notes.pdf" });
    assert.equal(fileMetadata(file).mediaType, "application/pdf");

    const voice = await part(3);
    assert.deepEqual(oob(voice), { url: voice.getChildText("body")!, desc: "audioclip.mp4" });
    assert.equal(fileMetadata(voice).mediaType, "audio/mp4");
    assert.deepEqual(await bytesAt(voice.getChildText("body")!), VOICE);

    const location = await part(4);
    const lines = location.getChildText("body")!.split("\n");
    assert.deepEqual(lines, [
      "📍 Brandenburger Tor (52.5163, 13.3777)",
      "geo:52.5163,13.3777",
      "https://www.openstreetmap.org/?mlat=52.5163&mlon=13.3777#map=16/52.5163/13.3777",
    ]);
    assert.deepEqual(oob(location), { url: "geo:52.5163,13.3777", desc: "Brandenburger Tor" });

    const share = await part(5);
    assert.equal(share.getChildText("body"), "Big news\nhttps://news.example/story");
    assert.deepEqual(oob(share), { url: "https://news.example/story", desc: "Big news" });

    const unknown = await part(6);
    assert.match(
      unknown.getChildText("body")!,
      /attachment of a kind the gateway does not support/,
    );
  },
});

Deno.test({
  name: "with an upload service, Messenger's files are re-uploaded to Prosody's http_file_share",
  ...e2e,
  async fn() {
    await using t = await setup({
      messages: { upload_service: "localhost", upload_max_size: 1 },
      prosody: {
        http: true,
        hostModules: ["http_file_share"],
        // The slot URLs must name a host the test (and the gateway) can reach.
        hostConfig: `  http_host = "127.0.0.1"`,
      },
    });
    const { alice, control, bob, gateway } = t;

    const [photo] = await control.inject({
      type: "message",
      sender: "200002",
      attachments: [{ data: encodeBase64(PNG), filename: "view.png", contentType: "image/png" }],
    });
    const stanza = await alice.waitFor(
      from(bob, (s) => s.attrs.id === photo.id),
      15_000,
      "the re-uploaded photo",
    );
    const url = stanza.getChildText("body")!;
    assert.ok(
      url.startsWith(`http://127.0.0.1:${t.server.httpPort}/file_share/`),
      `not Prosody's http_file_share: ${url}\n${gateway.output()}`,
    );
    assert.deepEqual(oob(stanza), { url, desc: "view.png" });
    assert.deepEqual(await bytesAt(url), PNG, "the re-uploaded bytes");

    // An expired Messenger URL cannot be re-uploaded: the message still arrives, with that URL.
    const expired = "http://127.0.0.1:9/files/expired/old.jpg";
    const [old] = await control.inject({
      type: "message",
      sender: "200002",
      attachments: [{ url: expired, filename: "old.jpg", contentType: "image/jpeg" }],
    });
    const fallback = await alice.waitFor(
      from(bob, (s) => s.attrs.id === old.id),
      15_000,
      "the photo whose re-upload failed",
    );
    assert.equal(fallback.getChildText("body"), expired);
    assert.match(gateway.output(), /Could not re-upload a photo from 127\.0\.0\.1:9/);
    assert.doesNotMatch(gateway.output(), /Bearer/, "upload credentials were logged");
  },
});

Deno.test({
  name: "files users send become Messenger attachments; failures are explained",
  ...e2e,
  async fn() {
    await using uploads = userUploads();
    // The users' upload server is on loopback here: the admin lists it (and a closed port, for
    // the unreachable case), as for an upload service on the LAN.
    const [closedPort] = freePorts(1);
    const closed = `http://127.0.0.1:${closedPort}`;
    await using t = await setup({
      messages: { send_max_size: 1, private_file_origins: [uploads.base, closed] },
    });
    const { alice, control, bob, echo } = t;

    // Conversations' way: body = URL and OOB, plus a receipt request.
    const pdfUrl = `${uploads.base}/up/k3y/Report%202024.pdf`;
    await alice.send(
      xml(
        "message",
        { type: "chat", to: bob, id: "f-1" },
        xml("body", {}, pdfUrl),
        xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, pdfUrl)),
        xml("request", { xmlns: "urn:xmpp:receipts" }),
      ),
    );
    const sent = await control.waitOperation(
      "sendMessage with a file",
      (op) => op.method === "sendMessage" && (op.attachments?.length ?? 0) > 0,
    );
    assert.equal(sent.text, "");
    assert.equal(sent.thread, "200002");
    assert.deepEqual(
      sent.attachments!.map(({ filename, contentType, size }) => ({ filename, contentType, size })),
      [{ filename: "Report 2024.pdf", contentType: "application/pdf", size: PDF.byteLength }],
    );
    assert.deepEqual(await bytesAt(sent.attachments![0].url), PDF, "the bytes Messenger got");
    await alice.waitFor(
      from(bob, (s) => s.getChild("received", "urn:xmpp:receipts")?.attrs.id === "f-1"),
      10_000,
      "the receipt of f-1",
    );

    // A caption next to the OOB file, and the round trip through the echo friend.
    const photoUrl = `${uploads.base}/up/k3y/IMG_0001.jpg`;
    await alice.send(
      xml(
        "message",
        { type: "chat", to: echo, id: "f-2" },
        xml("body", {}, `my cat ${photoUrl}`),
        xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, photoUrl)),
      ),
    );
    const captioned = await control.waitOperation(
      "sendMessage with a caption",
      (op) => op.method === "sendMessage" && op.thread === "200001",
    );
    assert.equal(captioned.text, "my cat");
    assert.equal(captioned.attachments?.[0].filename, "IMG_0001.jpg");
    const echoed = await alice.waitFor(
      from(echo, (s) => oob(s).desc === "IMG_0001.jpg"),
      10_000,
      "the echoed photo",
    );
    assert.deepEqual(await bytesAt(echoed.getChildText("body")!), PNG);

    // A body that is only a link to a file (no OOB) is sent as the file too.
    await alice.send(
      xml("message", { type: "chat", to: bob, id: "f-3" }, xml("body", {}, photoUrl)),
    );
    await control.waitOperation(
      "sendMessage of a bare file link",
      (op) =>
        op.method === "sendMessage" && op.thread === "200002" && op.text === "" &&
        op.attachments?.[0]?.filename === "IMG_0001.jpg",
    );

    // Too large: not-acceptable, with the sizes.
    const hugeUrl = `${uploads.base}/up/k3y/huge.mp4`;
    await alice.send(
      xml(
        "message",
        { type: "chat", to: bob, id: "f-4" },
        xml("body", {}, hugeUrl),
        xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, hugeUrl)),
      ),
    );
    const tooLarge = await alice.waitFor(
      (s) => s.attrs.id === "f-4" && s.attrs.type === "error",
      10_000,
      "the error for the huge file",
    );
    assert.deepEqual(errorOf(tooLarge), {
      condition: "not-acceptable",
      text: "Not delivered: the file is too large (2 MiB, max 1 MiB)",
    });

    // Unreachable: remote-server-timeout, saying it could not be downloaded.
    const unreachable = `${closed}/up/gone.pdf`;
    await alice.send(
      xml(
        "message",
        { type: "chat", to: bob, id: "f-5" },
        xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, unreachable)),
      ),
    );
    const failed = await alice.waitFor(
      (s) => s.attrs.id === "f-5" && s.attrs.type === "error",
      10_000,
      "the error for the unreachable file",
    );
    assert.equal(errorOf(failed).condition, "remote-server-timeout");
    assert.match(errorOf(failed).text, /^Not delivered: could not download the file/);

    // Neither failure reached Messenger, and the gateway still works.
    const operations = await control.operations();
    assert.ok(
      !operations.some((op) => op.attachments?.some((a) => /huge|gone/.test(a.filename))),
      JSON.stringify(operations),
    );
    await alice.send(xml("message", { type: "chat", to: bob, id: "f-6" }, xml("body", {}, "ok")));
    await control.waitOperation("a text after the failures", (op) => op.text === "ok");
  },
});

Deno.test({
  name: "a link to a private address is refused whatever the backend: the control API stays out",
  ...e2e,
  async fn() {
    await using uploads = userUploads();
    // Not even the simulated network's own file server is fetched for a user's link.
    await using t = await setup();
    const { alice, control, bob } = t;
    const base = control.base;
    const links = [
      `${base}/accounts/100001/operations`,
      `${base}/accounts`,
      `${uploads.base}/up/k3y/Report%202024.pdf`,
      "http://localhost:1/x.pdf",
      "http://[::1]:1/x.pdf",
      "http://169.254.169.254/latest/meta-data/",
    ];
    // Something for the control API to leak: a text Alice sent.
    await alice.send(chat(bob, "secret-1", "the secret text"));
    await control.waitOperation("the secret text", (op) => op.text === "the secret text");
    for (const [n, url] of links.entries()) {
      await alice.send(
        xml(
          "message",
          { type: "chat", to: bob, id: `ssrf-${n}` },
          xml("body", {}, url),
          xml("x", { xmlns: "jabber:x:oob" }, xml("url", {}, url)),
        ),
      );
      const refused = await alice.waitFor(
        (s) => s.attrs.id === `ssrf-${n}` && s.attrs.type === "error",
        10_000,
        `the error for ${url}`,
      );
      assert.equal(errorOf(refused).condition, "not-acceptable", url);
      assert.match(
        errorOf(refused).text,
        /^Not delivered: the gateway does not download files from local or private addresses/,
      );
    }
    await alice.send(chat(bob, "after", "still working"));
    await control.waitOperation("the text after", (op) => op.text === "still working");
    const operations = await control.operations();
    assert.deepEqual(
      operations.filter((op) => (op.attachments?.length ?? 0) > 0),
      [],
      "nothing was sent as an attachment",
    );
  },
});
