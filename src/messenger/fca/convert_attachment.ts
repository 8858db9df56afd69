/**
 * fca attachments → {@link Attachment}.
 *
 * Two inputs: the objects fca formats itself (`{type: "photo", url, …}`) and, to rescue a message
 * fca gave up on (an attachment type it does not know makes it drop the whole message), the raw
 * `mercury` blobs of a NewMessage delta. Unknown kinds become `"unknown"`, never an exception.
 *
 * @module
 */

import type { Attachment, AttachmentKind } from "../events.ts";
import { list, numeric, record, text } from "./_narrow.ts";

const FCA_KINDS: Record<string, AttachmentKind> = {
  photo: "photo",
  animated_image: "gif",
  sticker: "sticker",
  video: "video",
  audio: "audio",
  file: "file",
  share: "share",
  location: "location",
};

/** Converts one attachment as formatted by fca; `undefined` when it is not even an object. */
export function attachmentFromFca(raw: unknown): Attachment | undefined {
  const fields = record(raw);
  if (fields === undefined) return undefined;
  const kind = FCA_KINDS[text(fields.type) ?? ""] ?? "unknown";
  const attachment: Attachment = { kind };
  const url = firstText(
    fields.url,
    fields.largePreviewUrl,
    fields.previewUrl,
    fields.spriteUrl,
    fields.thumbnailUrl,
    fields.image,
  );
  if (url !== undefined) attachment.url = url;
  const filename = text(fields.filename) ?? text(fields.name);
  if (filename !== undefined && filename !== "") attachment.filename = filename;
  const contentType = text(fields.contentType) ?? text(fields.mimeType);
  if (contentType !== undefined && contentType !== "") attachment.contentType = contentType;
  const size = numeric(fields.fileSize);
  if (size !== undefined && size >= 0) attachment.size = size;
  const width = numeric(fields.width);
  const height = numeric(fields.height);
  if (width !== undefined && width > 0) attachment.width = width;
  if (height !== undefined && height > 0) attachment.height = height;
  if (kind === "audio") attachment.isVoice = fields.isVoiceMail === true;
  if (kind === "share") {
    const title = text(fields.title);
    const description = text(fields.description);
    if (title !== undefined && title !== "") attachment.title = title;
    if (description !== undefined && description !== "") attachment.description = description;
  }
  if (kind === "location") {
    const latitude = numeric(fields.latitude);
    const longitude = numeric(fields.longitude);
    if (latitude !== undefined) attachment.latitude = latitude;
    if (longitude !== undefined) attachment.longitude = longitude;
    const address = text(fields.address);
    if (address !== undefined && address !== "") attachment.title = address;
  }
  return attachment;
}

const BLOB_KINDS: Record<string, AttachmentKind> = {
  MessageImage: "photo",
  MessageAnimatedImage: "gif",
  MessageVideo: "video",
  MessageAudio: "audio",
  MessageFile: "file",
  StickerAttachment: "sticker",
  MessageLocation: "location",
  ExtensibleAttachment: "share",
};

/**
 * Best-effort conversion of one raw NewMessage delta attachment (`{mercury: {blob_attachment}}`)
 * for a message fca failed to format. Whatever is not recognised becomes `"unknown"`.
 */
export function attachmentFromDelta(raw: unknown): Attachment {
  const mercury = record(record(raw)?.mercury) ?? record(raw) ?? {};
  const blob = record(mercury.blob_attachment) ?? record(mercury.sticker_attachment) ??
    record(mercury.extensible_attachment);
  const typeName = text(blob?.__typename) ??
    (mercury.sticker_attachment !== undefined ? "StickerAttachment" : undefined) ??
    (mercury.extensible_attachment !== undefined ? "ExtensibleAttachment" : undefined);
  const kind = BLOB_KINDS[typeName ?? ""] ?? "unknown";
  const attachment: Attachment = { kind };
  if (blob !== undefined) {
    const url = firstText(
      blob.url,
      blob.playable_url,
      record(blob.animated_image)?.uri,
      record(blob.large_preview)?.uri,
      record(blob.preview)?.uri,
      record(blob.story_attachment)?.url,
    );
    if (url !== undefined) attachment.url = url;
    const filename = text(blob.filename);
    if (filename !== undefined && filename !== "") attachment.filename = filename;
  }
  return attachment;
}

/** Converts a list of fca attachments, skipping (and counting) entries that are not objects. */
export function attachmentsFromFca(raw: unknown): { attachments: Attachment[]; skipped: number } {
  const attachments: Attachment[] = [];
  let skipped = 0;
  for (const entry of list(raw)) {
    const attachment = attachmentFromFca(entry);
    if (attachment === undefined) skipped++;
    else attachments.push(attachment);
  }
  return { attachments, skipped };
}

function firstText(...values: unknown[]): string | undefined {
  for (const value of values) {
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}
