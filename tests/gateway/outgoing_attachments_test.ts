import assert from "node:assert/strict";
import {
  AttachmentFailed,
  explain,
  fetchAttachment,
  mib,
  planAttachments,
  prepareContent,
} from "../../src/gateway/outgoing_attachments.ts";
import type { MessageContent } from "../../src/gateway/message_actions.ts";
import {
  type DownloadedFile,
  DownloadError,
  type DownloadFailure,
} from "../../src/net/bounded_download.ts";

const PDF = new Uint8Array([0x25, 0x50, 0x44, 0x46]);

function content(body: string, attachmentUrls: string[] = []): MessageContent {
  return { body, attachmentUrls, mentions: [] };
}

function serving(files: Record<string, Partial<DownloadedFile> | DownloadFailure>) {
  const asked: string[] = [];
  const download = (url: string): Promise<DownloadedFile> => {
    asked.push(url);
    const file = files[url];
    if (file === undefined) throw new Error(`unexpected ${url}`);
    if ("reason" in file) return Promise.reject(new DownloadError(file, file.reason));
    return Promise.resolve({ contentType: "", url, data: PDF, ...file });
  };
  return { download, asked };
}

Deno.test("OOB URLs are files; the rest of the body is the caption", () => {
  const url = "https://up.example/a/report.pdf";
  assert.deepEqual(planAttachments(content(`see  ${url}  please\n\n\n\nthanks`, [url])), {
    text: "see please\n\nthanks",
    urls: [url],
    explicit: true,
  });
  assert.deepEqual(planAttachments(content("", [url])), { text: "", urls: [url], explicit: true });
});

Deno.test("a body that is only a URL to a file name is probably a file; other links are text", () => {
  assert.deepEqual(planAttachments(content(" https://up.example/x/IMG_1.JPG ")), {
    text: "",
    urls: ["https://up.example/x/IMG_1.JPG"],
    explicit: false,
  });
  for (
    const body of [
      "https://news.example/story",
      "https://news.example/index.html",
      "look https://up.example/x/a.jpg",
      "aesgcm://up.example/x/a.jpg#key",
    ]
  ) {
    assert.deepEqual(planAttachments(content(body)), { text: body, urls: [], explicit: false });
  }
});

Deno.test("a downloaded file takes the server's name and type, else the URL's", async () => {
  const { download } = serving({
    "https://up.example/a/x%20y.pdf": {},
    "https://up.example/named": { filename: "notes.txt", contentType: "text/plain" },
    "https://up.example/anonymous": { contentType: "image/jpeg" },
    "https://up.example/nothing": {},
  });
  assert.deepEqual(await fetchAttachment("https://up.example/a/x%20y.pdf", download), {
    filename: "x y.pdf",
    contentType: "application/pdf",
    data: PDF,
  });
  assert.deepEqual(
    await fetchAttachment("https://up.example/named", download),
    { filename: "notes.txt", contentType: "text/plain", data: PDF },
  );
  assert.equal(
    (await fetchAttachment("https://up.example/anonymous", download)).filename,
    "file.jpg",
  );
  assert.deepEqual(
    await fetchAttachment("https://up.example/nothing", download),
    { filename: "file", contentType: "application/octet-stream", data: PDF },
  );
});

Deno.test("failed downloads become errors the user reads", () => {
  const MiB = 1024 * 1024;
  const cases: [DownloadFailure, string, RegExp][] = [
    [
      { reason: "too_large", size: 30 * MiB, limit: 25 * MiB },
      "not_acceptable",
      /^Not delivered: the file is too large \(30 MiB, max 25 MiB\)$/,
    ],
    [{ reason: "too_large", limit: MiB }, "not_acceptable", /more than the maximum of 1 MiB/],
    [{ reason: "timeout", limit: 60_000 }, "remote_server_timeout", /could not download .* 60 s/],
    [{ reason: "http_status", status: 404 }, "remote_server_timeout", /answered HTTP 404/],
    [{ reason: "network", detail: "refused" }, "remote_server_timeout", /could not download/],
    [{ reason: "private_address", host: "10.0.0.1" }, "not_acceptable", /private .*10\.0\.0\.1/],
    [{ reason: "empty" }, "not_acceptable", /empty/],
  ];
  for (const [failure, kind, text] of cases) {
    const explained = explain(new DownloadError(failure, "x"));
    assert.equal(explained.kind, kind, failure.reason);
    assert.match(explained.text, text);
  }
  assert.equal(mib(1.5 * MiB), "1.5");
  assert.equal(mib(2 * MiB), "2");
  assert.equal(mib(12.6 * MiB), "13");
});

Deno.test("an OOB file that cannot be had refuses the message", async () => {
  const url = "https://up.example/a/big.mp4";
  const { download } = serving({ [url]: { reason: "too_large", size: 3 << 20, limit: 1 << 20 } });
  await assert.rejects(prepareContent(content("", [url]), download), (error: unknown) => {
    assert.ok(error instanceof AttachmentFailed);
    assert.equal(error.failure.kind, "not_acceptable");
    assert.match(error.failure.text, /too large \(3 MiB, max 1 MiB\)/);
    return true;
  });
});

Deno.test("a probable file that cannot be had is sent as the link it also is", async () => {
  const url = "https://up.example/a/gone.jpg";
  const { download, asked } = serving({ [url]: { reason: "http_status", status: 404 } });
  assert.deepEqual(await prepareContent(content(url), download), { text: url, attachments: [] });
  assert.deepEqual(asked, [url]);
});

Deno.test("files and caption together; without a downloader, URLs travel as links", async () => {
  const a = "https://up.example/a/one.pdf";
  const b = "https://up.example/b/two.pdf";
  const { download } = serving({ [a]: {}, [b]: {} });
  const prepared = await prepareContent(content("two files", [a, b]), download);
  assert.equal(prepared.text, "two files");
  assert.deepEqual(prepared.attachments.map((f) => f.filename), ["one.pdf", "two.pdf"]);
  assert.deepEqual(await prepareContent(content("see", [a]), undefined), {
    text: `see\n${a}`,
    attachments: [],
  });
});
