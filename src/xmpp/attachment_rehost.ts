/**
 * Re-uploads Messenger's files to the users' XMPP server (XEP-0363), so the links users get keep
 * working after Messenger's expire: download within bounds, ask the upload service for a slot
 * from the gateway's JID, PUT the bytes, and hand back the attachment with the slot's GET URL.
 *
 * Best effort by design: whatever fails (too large, download or upload error, a refused slot),
 * the attachment keeps Messenger's URL and the reason is logged — the message is never lost or
 * held back for long. Links to pages and places (shares, locations) are not files and are left
 * alone. Logs name the host of a URL, never the URL (Messenger's carry access tokens) nor the
 * upload's credentials.
 *
 * @module
 */

import { xmppLog } from "../log.ts";
import type { Attachment, AttachmentKind } from "../messenger/events.ts";
import {
  boundedDownload,
  type DownloadedFile,
  DownloadError,
  type DownloadLimits,
} from "../net/bounded_download.ts";
import {
  contentTypeFor,
  extensionFor,
  filenameFromUrl,
  GENERIC_TYPE,
  isSpecificType,
  safeFilename,
} from "../net/media_types.ts";
import { requestUploadSlot, uploadToSlot } from "./http_upload.ts";
import type { IqCaller } from "./privileged_roster.ts";

/** What the re-upload needs. */
export interface AttachmentRehostOptions {
  /** The XEP-0363 upload service's JID (a domain). */
  service: string;
  /** Sends an iq from the gateway's JID and resolves with the reply (the router's `call`). */
  call: IqCaller;
  /** Largest file re-uploaded (bytes); larger ones keep Messenger's URL. */
  maxBytes: number;
  /** Bound on the download, and separately on the upload (ms). */
  timeoutMs: number;
  /** Whether a private origin may be fetched anyway (the simulated network's file server). */
  privateOriginAllowed?: (origin: string) => boolean;
  /** Downloads a file; default {@link boundedDownload}. */
  download?: (url: string, limits: DownloadLimits) => Promise<DownloadedFile>;
}

/** The kinds that are files (worth keeping); shares, locations and unknown kinds are not. */
const FILE_KINDS: ReadonlySet<AttachmentKind> = new Set([
  "photo",
  "gif",
  "video",
  "audio",
  "file",
  "sticker",
]);

/** Re-uploads attachments to one upload service. */
export class AttachmentRehost {
  #options: AttachmentRehostOptions;

  constructor(options: AttachmentRehostOptions) {
    this.#options = options;
  }

  /** The attachment with a URL on the upload service, or unchanged when it cannot be. Never throws. */
  async rehost(attachment: Attachment): Promise<Attachment> {
    const url = attachment.url;
    if (!FILE_KINDS.has(attachment.kind) || !url || !/^https?:\/\//i.test(url)) return attachment;
    const { maxBytes } = this.#options;
    if (attachment.size !== undefined && attachment.size > maxBytes) {
      xmppLog.info(
        "Not re-uploading a {kind} of {size} bytes (more than {max}): its Messenger link is sent",
        { kind: attachment.kind, size: attachment.size, max: maxBytes },
      );
      return attachment;
    }
    try {
      return await this.#rehost(attachment, url);
    } catch (error) {
      xmppLog.warn(
        "Could not re-upload a {kind} from {host} to {service}, sending its Messenger link: {reason}",
        {
          kind: attachment.kind,
          host: hostOf(url),
          service: this.#options.service,
          reason: error instanceof Error ? error.message : String(error),
        },
      );
      return attachment;
    }
  }

  async #rehost(attachment: Attachment, url: string): Promise<Attachment> {
    const { service, call, maxBytes, timeoutMs, privateOriginAllowed } = this.#options;
    const download = this.#options.download ?? boundedDownload;
    let file: DownloadedFile;
    try {
      file = await download(url, {
        maxBytes,
        timeoutMs,
        ...(privateOriginAllowed ? { privateOriginAllowed } : {}),
      });
    } catch (error) {
      if (error instanceof DownloadError) throw new Error(`Download: ${error.message}`);
      throw error;
    }
    const contentType = isSpecificType(file.contentType)
      ? file.contentType
      : isSpecificType(attachment.contentType)
      ? attachment.contentType.toLowerCase()
      : contentTypeFor(attachment.filename ?? "") ?? GENERIC_TYPE;
    const filename = uploadName(attachment, file, contentType);
    const slot = await requestUploadSlot(call, service, {
      filename,
      size: file.data.byteLength,
      contentType,
    });
    await uploadToSlot(slot, file.data, contentType, timeoutMs);
    xmppLog.debug("Re-uploaded a {kind} of {size} bytes to {service}", {
      kind: attachment.kind,
      size: file.data.byteLength,
      service,
    });
    return {
      ...attachment,
      url: slot.getUrl,
      filename,
      contentType,
      size: file.data.byteLength,
    };
  }
}

/** The name to upload under: Messenger's, the server's, the URL's, or one made from the kind. */
function uploadName(attachment: Attachment, file: DownloadedFile, contentType: string): string {
  for (const candidate of [attachment.filename, file.filename, filenameFromUrl(file.url)]) {
    const safe = candidate === undefined ? "" : safeFilename(candidate);
    if (safe !== "") return safe;
  }
  const extension = extensionFor(contentType);
  return extension ? `${attachment.kind}.${extension}` : attachment.kind;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "an invalid URL";
  }
}
