import assert from "node:assert/strict";
import {
  HttpUploadError,
  parseSlot,
  requestUploadSlot,
  slotRequest,
  uploadToSlot,
} from "../../src/xmpp/http_upload.ts";
import { parseXml } from "../../src/xmpp/xml.ts";
import { assertXml } from "./_canonical_xml.ts";

const SLOT = `<iq type="result" from="upload.example.org" id="1">
  <slot xmlns="urn:xmpp:http:upload:0">
    <put url="https://upload.example.org/put/a.jpg">
      <header name="Authorization">Bearer token</header>
      <header name="Cookie">c=1</header>
      <header name="X-Evil">no</header>
    </put>
    <get url="https://upload.example.org/get/a.jpg"/>
  </slot>
</iq>`;

Deno.test("a slot request names the file, its size and type", async () => {
  assertXml(
    slotRequest("upload.example.org", { filename: "a.jpg", size: 42, contentType: "image/jpeg" }),
    `<iq type="get" to="upload.example.org">
      <request xmlns="urn:xmpp:http:upload:0" filename="a.jpg" size="42" content-type="image/jpeg"/>
    </iq>`,
  );
  const sent: string[] = [];
  const slot = await requestUploadSlot(
    (iq) => {
      sent.push(iq.toString());
      return Promise.resolve(parseXml(SLOT));
    },
    "upload.example.org",
    { filename: "a.jpg", size: 42, contentType: "image/jpeg" },
  );
  assert.equal(sent.length, 1);
  assert.deepEqual(slot, {
    putUrl: "https://upload.example.org/put/a.jpg",
    putHeaders: { authorization: "Bearer token", cookie: "c=1" },
    getUrl: "https://upload.example.org/get/a.jpg",
  });
});

Deno.test("a refused or malformed slot is an error naming the condition, not the request", () => {
  const refused = parseXml(`<iq type="error" from="upload.example.org" id="1">
    <error type="modify"><not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>
    <text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">File too large</text></error></iq>`);
  assert.throws(() => parseSlot(refused, "upload.example.org"), (error: unknown) => {
    assert.ok(error instanceof HttpUploadError);
    assert.equal(error.condition, "not-acceptable");
    assert.match(error.message, /refused a slot: not-acceptable \(File too large\)/);
    return true;
  });
  for (
    const reply of [
      `<iq type="result" id="1"/>`,
      `<iq type="result" id="1"><slot xmlns="urn:xmpp:http:upload:0"><put url="ftp://x/a"/>` +
      `<get url="https://x/a"/></slot></iq>`,
    ]
  ) {
    assert.throws(() => parseSlot(parseXml(reply), "u"), /without a usable slot/);
  }
});

Deno.test("the bytes are PUT with the slot's headers; a refusal names the status only", async () => {
  const received: { auth: string | null; type: string | null; body: Uint8Array }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    received.push({
      auth: req.headers.get("authorization"),
      type: req.headers.get("content-type"),
      body: new Uint8Array(await req.arrayBuffer()),
    });
    return new Response(null, { status: new URL(req.url).pathname === "/ok" ? 201 : 413 });
  });
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const data = new Uint8Array([9, 8, 7]);
    const slot = (path: string) => ({
      putUrl: `${base}${path}`,
      putHeaders: { authorization: "Bearer secret-token" },
      getUrl: `${base}/get`,
    });
    await uploadToSlot(slot("/ok"), data, "image/png", 2000);
    assert.deepEqual(received[0], {
      auth: "Bearer secret-token",
      type: "image/png",
      body: data,
    });
    await assert.rejects(uploadToSlot(slot("/full"), data, "image/png", 2000), (e: unknown) => {
      assert.ok(e instanceof HttpUploadError);
      assert.equal(e.message, "The upload server answered HTTP 413");
      assert.ok(!e.message.includes("secret-token"));
      return true;
    });
  } finally {
    await server.shutdown();
  }
});
