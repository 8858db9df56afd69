/**
 * How each kind of Messenger attachment is shown to XMPP users: the message body, the XEP-0066
 * link and the file metadata that message_build.ts turns into one stanza per attachment.
 *
 * - Files (photo, GIF, video, audio or voice message, file, sticker): body = the URL alone, so
 *   clients show the file inline; OOB with the file name as description; name, type, size and
 *   dimensions as metadata where known.
 * - A location: a readable text with the address, a `geo:` URI and an OpenStreetMap link; the
 *   OOB URL is the `geo:` URI.
 * - A link share: its title (and description) above the URL; OOB with the title.
 * - Anything else, or a file without a URL: a sentence saying what was received and that it
 *   cannot be shown — never silently dropped.
 *
 * @module
 */

import type { Attachment, AttachmentKind } from "../messenger/events.ts";
import type { AttachmentLink, FileMetadata } from "./message_build.ts";

/** What each kind is called in sentences. */
const KIND_NAMES: Record<AttachmentKind, string> = {
  photo: "a photo",
  gif: "a GIF",
  video: "a video",
  audio: "an audio message",
  file: "a file",
  sticker: "a sticker",
  share: "a link",
  location: "a location",
  unknown: "an attachment",
};

/** Kinds a client may show in the conversation rather than as a download. */
const INLINE_KINDS: ReadonlySet<AttachmentKind> = new Set([
  "photo",
  "gif",
  "video",
  "audio",
  "sticker",
]);

/** The message part showing one attachment. */
export function attachmentLink(attachment: Attachment): AttachmentLink {
  switch (attachment.kind) {
    case "location":
      return locationLink(attachment);
    case "share":
      return shareLink(attachment);
    case "unknown":
      return {
        body: "Sent an attachment of a kind the gateway does not support yet, so it cannot be " +
          `shown here${attachment.url ? `: ${attachment.url}` : " (open Messenger to see it)"}`,
      };
    default:
      return fileLink(attachment);
  }
}

function fileLink(attachment: Attachment): AttachmentLink {
  const name = KIND_NAMES[attachment.kind];
  if (!attachment.url) {
    return {
      body: `Sent ${name}, but Messenger gave no address for it (open Messenger to see it)`,
    };
  }
  const description = attachment.filename ?? attachment.title ??
    (attachment.kind === "audio" && attachment.isVoice ? "Voice message" : undefined) ??
    (attachment.kind === "sticker" ? "Sticker" : undefined);
  const file: FileMetadata = {
    disposition: INLINE_KINDS.has(attachment.kind) ? "inline" : "attachment",
  };
  if (attachment.contentType) file.mediaType = attachment.contentType;
  if (attachment.filename) file.name = attachment.filename;
  if (attachment.size !== undefined) file.size = attachment.size;
  if (attachment.width !== undefined) file.width = attachment.width;
  if (attachment.height !== undefined) file.height = attachment.height;
  return {
    url: attachment.url,
    ...(description !== undefined ? { description } : {}),
    file,
  };
}

function locationLink(attachment: Attachment): AttachmentLink {
  const { latitude, longitude } = attachment;
  const place = attachment.title ?? "Location";
  if (isCoordinate(latitude, 90) && isCoordinate(longitude, 180)) {
    const lat = roundCoordinate(latitude);
    const lon = roundCoordinate(longitude);
    const geo = `geo:${lat},${lon}`;
    const map = `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=16/${lat}/${lon}`;
    return {
      url: geo,
      description: place,
      body: `📍 ${place} (${lat}, ${lon})\n${geo}\n${map}`,
    };
  }
  if (attachment.url) {
    return { url: attachment.url, description: place, body: `📍 ${place}\n${attachment.url}` };
  }
  return { body: `📍 Shared ${KIND_NAMES.location} that the gateway cannot show (${place})` };
}

function shareLink(attachment: Attachment): AttachmentLink {
  const lines = [attachment.title, attachment.description].filter((line): line is string =>
    line !== undefined && line.trim() !== ""
  );
  if (!attachment.url) {
    return { body: lines.length > 0 ? lines.join("\n") : `Shared ${KIND_NAMES.share}` };
  }
  return {
    url: attachment.url,
    ...(attachment.title ? { description: attachment.title } : {}),
    body: [...lines, attachment.url].join("\n"),
  };
}

function isCoordinate(value: number | undefined, bound: number): value is number {
  return value !== undefined && Number.isFinite(value) && Math.abs(value) <= bound;
}

/** Six decimals (about 10 cm) without trailing zeros. */
function roundCoordinate(value: number): string {
  return String(Math.round(value * 1e6) / 1e6);
}
