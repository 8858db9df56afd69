/**
 * Downloads an image from a URL Messenger gave us (a profile picture), within bounds: http(s)
 * only, a timeout for the whole download, a size cap enforced while reading (not trusted from
 * Content-Length), an `image/*` content type, at most a few redirects, and — unless the admin
 * runs against a local network — no loopback, private or link-local destination, checked for
 * every redirect hop.
 *
 * @module
 */

import { isIpLiteral, isPublicAddress } from "./public_address.ts";

/** Limits of {@link fetchImage}. */
export interface ImageFetchOptions {
  /** Whole-download timeout (ms). */
  timeoutMs: number;
  /** Largest accepted image (bytes). */
  maxBytes: number;
  /** Allow loopback and private addresses (the simulated network serves files on loopback). */
  allowPrivateHosts: boolean;
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
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    return await download(url, options, signal);
  } catch (error) {
    if (error instanceof ImageFetchError) throw error;
    if (signal.aborted) {
      throw new ImageFetchError(`Downloading the image took longer than ${options.timeoutMs} ms`);
    }
    throw new ImageFetchError(
      `Could not download the image: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

async function download(
  start: string,
  options: ImageFetchOptions,
  signal: AbortSignal,
): Promise<FetchedImage> {
  let url = start;
  const maxRedirects = options.maxRedirects ?? 3;
  for (let hop = 0;; hop++) {
    const target = parseUrl(url);
    if (!options.allowPrivateHosts) await assertPublicHost(target.hostname, options);
    const response = await fetch(target, { redirect: "manual", signal });
    if (response.status >= 300 && response.status < 400 && response.headers.has("location")) {
      await response.body?.cancel();
      if (hop >= maxRedirects) {
        throw new ImageFetchError(`The image URL redirects more than ${maxRedirects} times`);
      }
      url = new URL(response.headers.get("location")!, target).href;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new ImageFetchError(`The image server answered HTTP ${response.status}`);
    }
    const type = (response.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (!/^image\/[a-z0-9.+-]+$/.test(type)) {
      await response.body?.cancel();
      throw new ImageFetchError(`The URL does not point to an image (content type "${type}")`);
    }
    const declared = Number(response.headers.get("content-length") ?? "0");
    if (declared > options.maxBytes) {
      await response.body?.cancel();
      throw new ImageFetchError(tooLarge(options.maxBytes));
    }
    const data = await readCapped(response, options.maxBytes);
    if (data.byteLength === 0) throw new ImageFetchError("The image is empty");
    return { type, data };
  }
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ImageFetchError("The image URL is not a valid URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new ImageFetchError(`Only http and https image URLs are fetched, not ${parsed.protocol}`);
  }
  return parsed;
}

async function assertPublicHost(hostname: string, options: ImageFetchOptions): Promise<void> {
  const refused = () =>
    new ImageFetchError(`The image URL points to a local or private address (${hostname})`);
  if (isIpLiteral(hostname)) {
    if (!isPublicAddress(hostname)) throw refused();
    return;
  }
  if (hostname === "localhost" || hostname.endsWith(".localhost")) throw refused();
  const addresses = await (options.resolve ?? resolveDns)(hostname);
  if (addresses.length === 0) throw new ImageFetchError(`Cannot resolve ${hostname}`);
  if (!addresses.every(isPublicAddress)) throw refused();
}

async function resolveDns(hostname: string): Promise<string[]> {
  const [v4, v6] = await Promise.all([
    Deno.resolveDns(hostname, "A").catch(() => [] as string[]),
    Deno.resolveDns(hostname, "AAAA").catch(() => [] as string[]),
  ]);
  return [...v4, ...v6];
}

async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array> {
  if (!response.body) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new ImageFetchError(tooLarge(maxBytes));
    }
    chunks.push(value);
  }
  const data = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    data.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return data;
}

function tooLarge(maxBytes: number): string {
  return `The image is larger than ${Math.round(maxBytes / 1024)} KiB`;
}
