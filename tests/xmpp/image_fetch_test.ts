import assert from "node:assert/strict";
import { fetchImage, ImageFetchError } from "../../src/xmpp/image_fetch.ts";
import { isPublicAddress } from "../../src/net/public_address.ts";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);

/** A loopback HTTP server with a few routes; `await using` it. */
function imageServer() {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    switch (path) {
      case "/a.png":
        return new Response(PNG, { headers: { "content-type": "image/png" } });
      case "/page":
        return new Response("<html/>", { headers: { "content-type": "text/html" } });
      case "/big":
        return new Response(new Uint8Array(2048), { headers: { "content-type": "image/jpeg" } });
      case "/missing":
        return new Response("no", { status: 404 });
      case "/redirect":
        return Response.redirect(new URL("/a.png", req.url), 302);
      case "/loop":
        return Response.redirect(new URL("/loop", req.url), 302);
      case "/slow":
        await new Promise((resolve) => setTimeout(resolve, 300));
        return new Response(PNG, { headers: { "content-type": "image/png" } });
      default:
        return new Response("?", { status: 500 });
    }
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { base, [Symbol.asyncDispose]: () => server.shutdown() };
}

/** Limits for the test's loopback server: any private origin allowed. */
const LOCAL = { timeoutMs: 2000, maxBytes: 1024, privateOriginAllowed: () => true };

Deno.test("an image is downloaded with its content type", async () => {
  await using server = imageServer();
  const image = await fetchImage(`${server.base}/a.png`, LOCAL);
  assert.equal(image.type, "image/png");
  assert.deepEqual(image.data, PNG);
  const redirected = await fetchImage(`${server.base}/redirect`, LOCAL);
  assert.deepEqual(redirected.data, PNG);
});

Deno.test("what is not a small image is refused with a sentence", async () => {
  await using server = imageServer();
  const cases: [string, RegExp][] = [
    [`${server.base}/page`, /does not point to an image \(content type "text\/html"\)/],
    [`${server.base}/big`, /larger than 1 KiB/],
    [`${server.base}/missing`, /HTTP 404/],
    [`${server.base}/loop`, /redirects more than 3 times/],
    ["file:///etc/passwd", /Only http and https/],
    ["not a url", /not a valid URL/],
  ];
  for (const [url, message] of cases) {
    await assert.rejects(fetchImage(url, LOCAL), (error: unknown) => {
      assert.ok(error instanceof ImageFetchError, String(error));
      assert.match(error.message, message);
      return true;
    });
  }
  await assert.rejects(
    fetchImage(`${server.base}/slow`, { ...LOCAL, timeoutMs: 50 }),
    /took longer than 50 ms/,
  );
});

Deno.test("loopback and private destinations are refused unless allowed", async () => {
  await using server = imageServer();
  const strict = { ...LOCAL, privateOriginAllowed: undefined };
  await assert.rejects(fetchImage(`${server.base}/a.png`, strict), /local or private address/);
  await assert.rejects(fetchImage("http://localhost/a.png", strict), /local or private address/);
  await assert.rejects(
    fetchImage("http://[::1]/a.png", strict),
    /local or private address/,
  );
  await assert.rejects(
    fetchImage("http://cdn.example/a.png", {
      ...strict,
      resolve: () => Promise.resolve(["10.0.0.7"]),
    }),
    /local or private address \(cdn\.example\)/,
  );
});

Deno.test("public and private addresses are told apart", () => {
  for (const address of ["93.184.216.34", "2a03:2880:f10c:83:face:b00c:0:25de", "8.8.8.8"]) {
    assert.equal(isPublicAddress(address), true, address);
  }
  for (
    const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.20.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "::1",
      "::",
      "[::1]",
      "fe80::1",
      "fd00::1",
      "::ffff:127.0.0.1",
      "::ffff:7f00:1",
      "not-an-ip",
    ]
  ) {
    assert.equal(isPublicAddress(address), false, address);
  }
});
