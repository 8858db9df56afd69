import assert from "node:assert/strict";
import type { Attachment } from "../../src/messenger/events.ts";
import { AttachmentRehost } from "../../src/xmpp/attachment_rehost.ts";
import { type Element, parseXml } from "../../src/xmpp/xml.ts";

const PHOTO = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);

/** Messenger's CDN and an upload service's HTTP side, on loopback. */
function servers() {
  const uploads = new Map<string, { type: string | null; auth: string | null; data: Uint8Array }>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (req.method === "PUT") {
      uploads.set(path, {
        type: req.headers.get("content-type"),
        auth: req.headers.get("authorization"),
        data: new Uint8Array(await req.arrayBuffer()),
      });
      return new Response(null, { status: 201 });
    }
    if (path === "/cdn/photo") {
      return new Response(PHOTO, { headers: { "content-type": "image/png" } });
    }
    return new Response("gone", { status: 404 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const requests: Element[] = [];
  let refuse = false;
  const call = (iq: Element): Promise<Element> => {
    requests.push(iq);
    const request = iq.getChild("request", "urn:xmpp:http:upload:0")!;
    if (refuse) {
      return Promise.resolve(parseXml(`<iq type="error"><error type="auth">
        <forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`));
    }
    const name = encodeURIComponent(request.attrs.filename!);
    return Promise.resolve(parseXml(`<iq type="result"><slot xmlns="urn:xmpp:http:upload:0">
      <put url="${base}/put/${name}"><header name="Authorization">Bearer t0k3n</header></put>
      <get url="${base}/get/${name}"/></slot></iq>`));
  };
  return {
    base,
    uploads,
    requests,
    call,
    refuse(value: boolean) {
      refuse = value;
    },
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

function rehoster(s: ReturnType<typeof servers>, maxBytes = 1024) {
  return new AttachmentRehost({
    service: "upload.example.org",
    call: s.call,
    maxBytes,
    timeoutMs: 2000,
    privateOriginAllowed: () => true,
  });
}

Deno.test("a photo is downloaded, uploaded to a slot and gets the slot's GET URL", async () => {
  await using s = servers();
  const original: Attachment = { kind: "photo", url: `${s.base}/cdn/photo`, width: 2 };
  const result = await rehoster(s).rehost(original);
  assert.deepEqual(result, {
    kind: "photo",
    url: `${s.base}/get/photo.png`,
    filename: "photo.png",
    contentType: "image/png",
    size: PHOTO.byteLength,
    width: 2,
  });
  const [request] = s.requests;
  assert.equal(request.attrs.to, "upload.example.org");
  assert.deepEqual(request.getChild("request")?.attrs, {
    xmlns: "urn:xmpp:http:upload:0",
    filename: "photo.png",
    size: String(PHOTO.byteLength),
    "content-type": "image/png",
  });
  assert.deepEqual(s.uploads.get("/put/photo.png"), {
    type: "image/png",
    auth: "Bearer t0k3n",
    data: PHOTO,
  });
});

Deno.test("whatever fails, the attachment keeps Messenger's URL", async () => {
  await using s = servers();
  const photo: Attachment = { kind: "photo", url: `${s.base}/cdn/photo`, filename: "a.png" };
  // Too large, known in advance: not even downloaded.
  assert.deepEqual(await rehoster(s).rehost({ ...photo, size: 4096 }), { ...photo, size: 4096 });
  // Too large while downloading.
  assert.deepEqual(await rehoster(s, 4).rehost(photo), photo);
  // Expired at Messenger.
  const expired = { ...photo, url: `${s.base}/cdn/expired` };
  assert.deepEqual(await rehoster(s).rehost(expired), expired);
  // The upload service refuses.
  s.refuse(true);
  assert.deepEqual(await rehoster(s).rehost(photo), photo);
  assert.equal(s.uploads.size, 0);
});

Deno.test("shares, locations and unknown kinds are not files and are left alone", async () => {
  await using s = servers();
  for (
    const attachment of [
      { kind: "share", url: `${s.base}/cdn/photo`, title: "t" },
      { kind: "location", latitude: 1, longitude: 2 },
      { kind: "unknown", url: `${s.base}/cdn/photo` },
      { kind: "photo" },
    ] satisfies Attachment[]
  ) {
    assert.equal(await rehoster(s).rehost(attachment), attachment);
  }
  assert.equal(s.requests.length, 0);
});
