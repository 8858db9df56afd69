/**
 * Files a user sends to a Messenger contact. XMPP clients upload a file to their server
 * (XEP-0363) and send its URL — as XEP-0066 out-of-band data, or (some clients) as a body that is
 * nothing but the URL. Messenger wants the bytes, so the gateway downloads each file (bounded in
 * size and time by the download function it is given) and sends it as an attachment; the text
 * that remains is the caption.
 *
 * When an explicit (OOB) file cannot be downloaded the message is refused with a sentence the
 * user reads (too large, unreachable…). A bare URL in the body is only *probably* a file (its
 * name has a file extension): if it cannot be downloaded it is sent as the link it also is.
 *
 * @module
 */

import { gatewayLog } from "../log.ts";
import type { OutgoingAttachment } from "../messenger/session.ts";
import { type DownloadedFile, DownloadError } from "../net/bounded_download.ts";
import {
  contentTypeFor,
  extensionFor,
  filenameFromUrl,
  GENERIC_TYPE,
  hasFileExtension,
  isSpecificType,
  safeFilename,
} from "../net/media_types.ts";
import type { MessageContent } from "./message_actions.ts";
import type { MessageFailure } from "./xmpp_port.ts";

/** Downloads one file within the gateway's limits; throws {@link DownloadError} on failure. */
export type FileDownload = (url: string) => Promise<DownloadedFile>;

/** Which URLs of a message are files to attach, and the text left as the caption. */
export interface AttachmentPlan {
  /** The caption: the body without the files' URLs. */
  text: string;
  /** The files' URLs, in order. */
  urls: string[];
  /** True for OOB URLs (files for sure); false for a bare URL body (perhaps a file). */
  explicit: boolean;
}

/** A message's content ready for Messenger: caption and downloaded files. */
export interface PreparedContent {
  text: string;
  attachments: OutgoingAttachment[];
}

/** A file that cannot be sent; `failure` is the error the user's client shows. */
export class AttachmentFailed extends Error {
  override name = "AttachmentFailed";
  constructor(readonly failure: MessageFailure) {
    super(failure.text);
  }
}

/** Decides which URLs of `content` are files to attach. Pure. */
export function planAttachments(content: MessageContent): AttachmentPlan {
  if (content.attachmentUrls.length > 0) {
    let text = content.body;
    for (const url of content.attachmentUrls) text = text.split(url).join(" ");
    return { text: tidy(text), urls: [...content.attachmentUrls], explicit: true };
  }
  const body = content.body.trim();
  if (/^https?:\/\/\S+$/i.test(body) && looksLikeFile(body)) {
    return { text: "", urls: [body], explicit: false };
  }
  return { text: content.body, urls: [], explicit: false };
}

/**
 * Downloads the files of `content` and returns what to send; throws {@link AttachmentFailed}
 * when an explicit file cannot be had. Without `download`, the URLs travel as links in the text.
 */
export async function prepareContent(
  content: MessageContent,
  download: FileDownload | undefined,
): Promise<PreparedContent> {
  if (!download) return { text: withLinks(content.body, content.attachmentUrls), attachments: [] };
  const plan = planAttachments(content);
  const attachments: OutgoingAttachment[] = [];
  for (const url of plan.urls) {
    try {
      attachments.push(await fetchAttachment(url, download));
    } catch (error) {
      if (plan.explicit || !(error instanceof AttachmentFailed)) throw error;
      gatewayLog.debug("A link that looked like a file is sent as text: {reason}", {
        reason: error.failure.text,
      });
      return { text: content.body, attachments: [] };
    }
  }
  return { text: plan.text, attachments };
}

/** Downloads one file as a Messenger attachment; throws {@link AttachmentFailed}. */
export async function fetchAttachment(
  url: string,
  download: FileDownload,
): Promise<OutgoingAttachment> {
  let file: DownloadedFile;
  try {
    file = await download(url);
  } catch (error) {
    if (error instanceof DownloadError) throw new AttachmentFailed(explain(error));
    throw error;
  }
  const named = [file.filename, filenameFromUrl(url), filenameFromUrl(file.url)]
    .map((name) => name === undefined ? "" : safeFilename(name))
    .find((name) => name !== "");
  const contentType = isSpecificType(file.contentType)
    ? file.contentType
    : (named ? contentTypeFor(named) : undefined) ?? GENERIC_TYPE;
  const extension = extensionFor(contentType);
  const filename = named ?? (extension ? `file.${extension}` : "file");
  return { filename, contentType, data: file.data };
}

/** The error a user gets for a file the gateway could not download. */
export function explain(error: DownloadError): MessageFailure {
  const failure = error.failure;
  const unreachable = (why: string): MessageFailure => ({
    kind: "remote_server_timeout",
    text: `Not delivered: could not download the file ${why}`,
  });
  switch (failure.reason) {
    case "too_large":
      return {
        kind: "not_acceptable",
        text: failure.size !== undefined
          ? `Not delivered: the file is too large (${mib(failure.size)} MiB, max ${
            mib(failure.limit ?? 0)
          } MiB)`
          : `Not delivered: the file is too large (more than the maximum of ${
            mib(failure.limit ?? 0)
          } MiB)`,
      };
    case "empty":
      return { kind: "not_acceptable", text: "Not delivered: the file is empty" };
    case "invalid_url":
      return {
        kind: "not_acceptable",
        text: "Not delivered: the file's address is not an http(s) URL",
      };
    case "private_address":
      return {
        kind: "not_acceptable",
        text: "Not delivered: the gateway does not download files from local or private " +
          `addresses (${failure.host})`,
      };
    case "unresolvable":
      return unreachable(`(cannot resolve ${failure.host})`);
    case "timeout":
      return unreachable(`within ${Math.round((failure.limit ?? 0) / 1000)} s`);
    case "http_status":
      return unreachable(`(its server answered HTTP ${failure.status})`);
    case "too_many_redirects":
      return unreachable("(too many redirects)");
    case "unacceptable_type":
      return {
        kind: "not_acceptable",
        text: `Not delivered: files of type ${failure.contentType} cannot be sent`,
      };
    case "network":
      return unreachable(`(${failure.detail})`);
  }
}

/** Bytes in MiB for sentences: one decimal below 10, whole numbers above. */
export function mib(bytes: number): string {
  const value = bytes / (1024 * 1024);
  return value < 10 ? String(Math.round(value * 10) / 10) : String(Math.round(value));
}

/** Whether a URL's last path segment has the extension of a common file type. */
function looksLikeFile(url: string): boolean {
  const name = filenameFromUrl(url);
  return name !== undefined && hasFileExtension(name);
}

/** The body with the URLs it does not already contain appended, one per line. */
function withLinks(body: string, urls: readonly string[]): string {
  let text = body;
  for (const url of urls) {
    if (!text.includes(url)) text = text === "" ? url : `${text}\n${url}`;
  }
  return text;
}

/** Collapses the blanks left where URLs were cut out of a caption. */
function tidy(text: string): string {
  return text.split("\n").map((line) => line.replace(/[ \t]{2,}/g, " ").trim()).join("\n")
    .replace(/\n{3,}/g, "\n\n").trim();
}
