/**
 * XEP-0363 HTTP File Upload, as a client: ask an upload service for a slot (an iq from the
 * gateway's JID), then PUT the bytes to the slot's URL with the headers the service asked for.
 * The slot's GET URL is where the file is served afterwards.
 *
 * The PUT headers are credentials (an `Authorization` token): they are only ever sent to the PUT
 * URL, never logged or put in an error message.
 *
 * @module
 */

import { NS_HTTP_UPLOAD } from "./namespaces.ts";
import type { IqCaller } from "./privileged_roster.ts";
import { type Element, xml } from "./xml.ts";

/** What a file to upload is. */
export interface UploadRequest {
  /** The file name (without any path). */
  filename: string;
  /** Bytes. */
  size: number;
  contentType: string;
}

/** A slot granted by the upload service. */
export interface UploadSlot {
  /** Where to PUT the bytes. */
  putUrl: string;
  /** Headers to send with the PUT (only the ones XEP-0363 allows). */
  putHeaders: Record<string, string>;
  /** Where the file is served once uploaded. */
  getUrl: string;
}

/** Why an upload failed; the message is a sentence for logs (no secret in it). */
export class HttpUploadError extends Error {
  override name = "HttpUploadError";
  constructor(
    message: string,
    /** The stanza error condition of a refused slot request, when that is what failed. */
    readonly condition?: string,
  ) {
    super(message);
  }
}

/** Headers a slot may ask for (XEP-0363 §5); others are dropped. */
const ALLOWED_HEADERS = new Set(["authorization", "cookie", "expires"]);

/** Builds the slot request iq (from the caller's JID, which `call` fills in). */
export function slotRequest(service: string, request: UploadRequest): Element {
  return xml(
    "iq",
    { type: "get", to: service },
    xml("request", {
      xmlns: NS_HTTP_UPLOAD,
      filename: request.filename,
      size: String(request.size),
      "content-type": request.contentType,
    }),
  );
}

/** Asks `service` for a slot; throws {@link HttpUploadError} when refused or malformed. */
export async function requestUploadSlot(
  call: IqCaller,
  service: string,
  request: UploadRequest,
): Promise<UploadSlot> {
  const reply = await call(slotRequest(service, request));
  return parseSlot(reply, service);
}

/** Reads a slot reply; throws {@link HttpUploadError} for an error reply or a malformed slot. */
export function parseSlot(reply: Element, service: string): UploadSlot {
  if (reply.attrs.type === "error") {
    const error = reply.getChild("error");
    const condition = error?.getChildElements().find((child) => child.name !== "text")?.name ??
      "undefined-condition";
    const text = error?.getChildText("text");
    throw new HttpUploadError(
      `The upload service ${service} refused a slot: ${condition}${text ? ` (${text})` : ""}`,
      condition,
    );
  }
  const slot = reply.getChild("slot", NS_HTTP_UPLOAD);
  const put = slot?.getChild("put");
  const get = slot?.getChild("get");
  const putUrl = put?.attrs.url;
  const getUrl = get?.attrs.url;
  if (!putUrl || !getUrl || !isHttpUrl(putUrl) || !isHttpUrl(getUrl)) {
    throw new HttpUploadError(`The upload service ${service} answered without a usable slot`);
  }
  const putHeaders: Record<string, string> = {};
  for (const header of put!.getChildren("header")) {
    const name = header.attrs.name?.trim().toLowerCase();
    const value = header.getText().replace(/[\r\n]+/g, " ").trim();
    if (name && ALLOWED_HEADERS.has(name)) putHeaders[name] = value;
  }
  return { putUrl, putHeaders, getUrl };
}

/** PUTs `data` to the slot within `timeoutMs`; throws {@link HttpUploadError} on failure. */
export async function uploadToSlot(
  slot: UploadSlot,
  data: Uint8Array,
  contentType: string,
  timeoutMs: number,
): Promise<void> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(slot.putUrl, {
      method: "PUT",
      headers: { ...slot.putHeaders, "content-type": contentType },
      // A typing gap only: fetch takes any Uint8Array, the DOM types want an ArrayBuffer-backed one.
      body: data as Uint8Array<ArrayBuffer>,
      signal,
    });
  } catch (error) {
    throw new HttpUploadError(
      signal.aborted
        ? `The upload took longer than ${timeoutMs} ms`
        : `The upload failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  await response.body?.cancel();
  if (response.status !== 200 && response.status !== 201) {
    throw new HttpUploadError(`The upload server answered HTTP ${response.status}`);
  }
}

function isHttpUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:";
  } catch {
    return false;
  }
}
