/**
 * Downloads an image from a URL Messenger gave us (a profile picture), within bounds: those of
 * {@link boundedDownload} (http(s) only, a timeout, a size cap enforced while reading, few
 * redirects, no private destination unless allowed) plus an `image/*` content type.
 *
 * @module
 */

import { boundedDownload, DownloadError, type DownloadFailure } from "../net/bounded_download.ts";

/** Limits of {@link fetchImage}. */
export interface ImageFetchOptions {
  /** Whole-download timeout (ms). */
  timeoutMs: number;
  /** Largest accepted image (bytes). */
  maxBytes: number;
  /** Whether a private origin may be fetched anyway (exact origins; see boundedDownload). */
  privateOriginAllowed?: (origin: string) => boolean;
  /** Redirects followed at most; default 3. */
  maxRedirects?: number;
  /** Resolves a host name to its addresses; default Deno.resolveDns (A and AAAA). */
  resolve?: (hostname: string) => Promise<string[]>;
}

/** A downloaded image. */
export interface FetchedImage {
  /** The content type, e.g. `image/png` (parameters dropped). */
  type: string;
  data: Uint8Array;
}

/** Why an image could not be fetched; the message is a sentence for logs. */
export class ImageFetchError extends Error {
  override name = "ImageFetchError";
}

/** Default limits for avatars: 10 s, 512 KiB. */
export const AVATAR_LIMITS = { timeoutMs: 10_000, maxBytes: 512 * 1024 } as const;

/** Downloads an image within the limits, or throws an {@link ImageFetchError}. */
export async function fetchImage(url: string, options: ImageFetchOptions): Promise<FetchedImage> {
  try {
    const file = await boundedDownload(url, {
      ...options,
      acceptType: (type) => /^image\/[a-z0-9.+-]+$/.test(type),
    });
    return { type: file.contentType, data: file.data };
  } catch (error) {
    if (error instanceof DownloadError) {
      throw new ImageFetchError(describe(error.failure, options));
    }
    throw new ImageFetchError(
      `Could not download the image: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** The sentence for a failed image download. */
function describe(failure: DownloadFailure, options: ImageFetchOptions): string {
  switch (failure.reason) {
    case "invalid_url":
      return failure.protocol
        ? `Only http and https image URLs are fetched, not ${failure.protocol}`
        : "The image URL is not a valid URL";
    case "private_address":
      return `The image URL points to a local or private address (${failure.host})`;
    case "unresolvable":
      return `Cannot resolve ${failure.host}`;
    case "too_many_redirects":
      return `The image URL redirects more than ${failure.limit} times`;
    case "http_status":
      return `The image server answered HTTP ${failure.status}`;
    case "unacceptable_type":
      return `The URL does not point to an image (content type "${failure.contentType}")`;
    case "too_large":
      return `The image is larger than ${Math.round(options.maxBytes / 1024)} KiB`;
    case "empty":
      return "The image is empty";
    case "timeout":
      return `Downloading the image took longer than ${options.timeoutMs} ms`;
    case "network":
      return `Could not download the image: ${failure.detail}`;
  }
}
