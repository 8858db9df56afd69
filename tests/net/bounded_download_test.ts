import assert from "node:assert/strict";
import {
  boundedDownload,
  DownloadError,
  type DownloadFailureReason,
  filenameOf,
  pinnedTarget,
} from "../../src/net/bounded_download.ts";

const BYTES = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

/** A loopback HTTP server with a few routes; `await using` it. */
function fileServer() {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = new URL(req.url).pathname;
    switch (path) {
      case "/report":
        return new Response(BYTES, {
          headers: {
            "content-type": "Application/PDF; charset=binary",
            "content-disposition": `attachment; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf`,
          },
        });
      case "/plain":
        return new Response(BYTES);
      case "/declared-big":
        return new Response(new Uint8Array(4096), { headers: { "content-type": "video/mp4" } });
      case "/streamed-big":
        return new Response(
          new ReadableStream({
            start(controller) {
              for (let i = 0; i < 8; i++) controller.enqueue(new Uint8Array(512));
              controller.close();
            },
          }),
        );
      case "/host":
        return new Response(`Host: ${req.headers.get("host")}`);
      case "/empty":
        return new Response(new Uint8Array());
      case "/missing":
        return new Response("no", { status: 404 });
      case "/redirect":
        return Response.redirect(new URL("/report", req.url), 302);
      case "/loop":
        return Response.redirect(new URL("/loop", req.url), 302);
      case "/elsewhere": {
        const target = new URL(req.url).searchParams.get("to")!;
        return Response.redirect(target, 302);
      }
      case "/slow":
        await new Promise((resolve) => setTimeout(resolve, 300));
        return new Response(BYTES);
      default:
        return new Response("?", { status: 500 });
    }
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  return { base, [Symbol.asyncDispose]: () => server.shutdown() };
}

/** Limits for the tests' loopback servers: any private origin allowed. */
const LOCAL = { timeoutMs: 2000, maxBytes: 1024, privateOriginAllowed: () => true };

async function failure(promise: Promise<unknown>): Promise<DownloadError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DownloadError, String(error));
    return error;
  }
  assert.fail("expected a DownloadError");
}

Deno.test("a file is downloaded with its type and the name its server gave", async () => {
  await using server = fileServer();
  const file = await boundedDownload(`${server.base}/redirect`, LOCAL);
  assert.deepEqual(file.data, BYTES);
  assert.equal(file.contentType, "application/pdf");
  assert.equal(file.filename, "Résumé.pdf");
  assert.equal(file.url, `${server.base}/report`);
  const plain = await boundedDownload(`${server.base}/plain`, LOCAL);
  assert.equal(plain.filename, undefined);
});

Deno.test("each failure says why, with the numbers a sentence needs", async () => {
  await using server = fileServer();
  const cases: [string, DownloadFailureReason, Record<string, unknown>][] = [
    [`${server.base}/declared-big`, "too_large", { size: 4096, limit: 1024 }],
    [`${server.base}/streamed-big`, "too_large", { limit: 1024 }],
    [`${server.base}/empty`, "empty", {}],
    [`${server.base}/missing`, "http_status", { status: 404 }],
    [`${server.base}/loop`, "too_many_redirects", { limit: 3 }],
    ["file:///etc/passwd", "invalid_url", { protocol: "file:" }],
    ["not a url", "invalid_url", {}],
  ];
  for (const [url, reason, details] of cases) {
    const error = await failure(boundedDownload(url, LOCAL));
    assert.equal(error.failure.reason, reason, url);
    for (const [key, value] of Object.entries(details)) {
      assert.equal(error.failure[key as keyof typeof error.failure], value, `${url} ${key}`);
    }
  }
  const slow = await failure(boundedDownload(`${server.base}/slow`, { ...LOCAL, timeoutMs: 50 }));
  assert.deepEqual(slow.failure, { reason: "timeout", limit: 50 });
  const refused = await failure(
    boundedDownload(`${server.base}/plain`, { ...LOCAL, acceptType: (t) => t === "image/png" }),
  );
  assert.equal(refused.failure.reason, "unacceptable_type");
});

Deno.test("an unreachable server is a network failure, not a crash", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const error = await failure(boundedDownload(`http://127.0.0.1:${port}/x.png`, LOCAL));
  assert.equal(error.failure.reason, "network");
  assert.ok(error.failure.detail);
});

Deno.test("private destinations are refused unless allowed, also after resolving", async () => {
  await using server = fileServer();
  const strict = { ...LOCAL, privateOriginAllowed: undefined };
  for (const url of [`${server.base}/plain`, "http://localhost/a", "http://[::1]/a"]) {
    const error = await failure(boundedDownload(url, strict));
    assert.equal(error.failure.reason, "private_address", url);
  }
  const resolved = await failure(
    boundedDownload("http://cdn.example/a.png", {
      ...strict,
      resolve: () => Promise.resolve(["192.168.0.3"]),
    }),
  );
  assert.deepEqual(resolved.failure, { reason: "private_address", host: "cdn.example" });
  const unknown = await failure(
    boundedDownload("http://nowhere.example/a.png", {
      ...strict,
      resolve: () => Promise.resolve([]),
    }),
  );
  assert.equal(unknown.failure.reason, "unresolvable");
});

Deno.test("only the exact allowed private origin is fetched, at every hop", async () => {
  await using allowed = fileServer();
  await using other = fileServer();
  const only = { ...LOCAL, privateOriginAllowed: (origin: string) => origin === allowed.base };
  assert.deepEqual((await boundedDownload(`${allowed.base}/plain`, only)).data, BYTES);
  // The same host on another port (as the simulated network's control API is), a redirect
  // there from the allowed origin, or the same port under another name: all refused.
  const port = new URL(allowed.base).port;
  for (
    const url of [
      `${other.base}/plain`,
      `${allowed.base}/elsewhere?to=${encodeURIComponent(`${other.base}/plain`)}`,
      `http://localhost:${port}/plain`,
      `http://[::1]:${port}/plain`,
    ]
  ) {
    const error = await failure(boundedDownload(url, only));
    assert.equal(error.failure.reason, "private_address", url);
  }
});

Deno.test("a plain-http request goes to the address that was checked (no DNS rebinding)", async () => {
  await using server = fileServer();
  const port = new URL(server.base).port;
  const lookups: string[] = [];
  // The name only resolves through `resolve`, once per hop: if fetch looked it up again (where a
  // rebinding DNS server could answer 169.254.169.254) the system resolver would fail on it.
  const pinned = {
    ...LOCAL,
    privateOriginAllowed: undefined,
    resolve: (host: string) => {
      lookups.push(host);
      return Promise.resolve(["127.0.0.1"]);
    },
    allowAddress: (address: string) => address === "127.0.0.1",
  };
  const file = await boundedDownload(`http://files.invalid:${port}/host`, pinned);
  assert.equal(new TextDecoder().decode(file.data), `Host: files.invalid:${port}`);
  assert.equal(file.url, `http://files.invalid:${port}/host`);
  assert.deepEqual(lookups, ["files.invalid"]);
  // Redirects are resolved and checked again, hop by hop.
  const redirected = await boundedDownload(`http://files.invalid:${port}/redirect`, pinned);
  assert.deepEqual(redirected.data, BYTES);
  assert.equal(redirected.url, `http://files.invalid:${port}/report`);
  assert.deepEqual(lookups, ["files.invalid", "files.invalid", "files.invalid"]);
});

Deno.test("only plain-http names are pinned; https keeps its name for TLS", () => {
  assert.deepEqual(pinnedTarget(new URL("http://cdn.example:8080/a?b"), "203.0.113.9"), {
    url: new URL("http://203.0.113.9:8080/a?b"),
    host: "cdn.example:8080",
  });
  assert.deepEqual(pinnedTarget(new URL("http://cdn.example/a"), "2001:db8::1"), {
    url: new URL("http://[2001:db8::1]/a"),
    host: "cdn.example",
  });
  assert.deepEqual(pinnedTarget(new URL("https://cdn.example/a"), "203.0.113.9"), {
    url: new URL("https://cdn.example/a"),
  });
  assert.deepEqual(pinnedTarget(new URL("http://203.0.113.9/a"), "203.0.113.9"), {
    url: new URL("http://203.0.113.9/a"),
  });
});

Deno.test("Content-Disposition file names are read without paths", () => {
  assert.equal(filenameOf('attachment; filename="a b.jpg"'), "a b.jpg");
  assert.equal(filenameOf("inline; filename=plain.txt"), "plain.txt");
  assert.equal(filenameOf(`attachment; filename*=UTF-8''%E2%82%AC.pdf; filename="e.pdf"`), "€.pdf");
  assert.equal(filenameOf('attachment; filename="../../etc/passwd"'), "passwd");
  assert.equal(filenameOf('attachment; filename=".."'), undefined);
  assert.equal(filenameOf("attachment"), undefined);
  assert.equal(filenameOf(null), undefined);
});
