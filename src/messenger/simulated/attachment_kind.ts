/**
 * How Messenger would classify a file by its content type, so an attachment the gateway sends
 * arrives on the other side with the kind a real upload would get.
 *
 * @module
 */

import type { AttachmentKind } from "../events.ts";

/** The attachment kind Messenger gives a file of this content type. */
export function attachmentKindOf(contentType: string): AttachmentKind {
  const type = contentType.toLowerCase().split(";")[0].trim();
  if (type === "image/gif") return "gif";
  if (type.startsWith("image/")) return "photo";
  if (type.startsWith("video/")) return "video";
  if (type.startsWith("audio/")) return "audio";
  return "file";
}
