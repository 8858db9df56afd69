/**
 * Downloads a file from a URL someone else chose (Messenger's CDN, a user's upload server) within
 * bounds: http(s) only, one timeout for the whole download, a size cap enforced while reading
 * (Content-Length is only used to refuse early, never trusted), at most a few redirects, and no
 * loopback, private or link-local destination, checked for every redirect hop (a URL must not
 * reach what only the gateway host should: SSRF). The only private destinations ever fetched are
 * the exact origins the caller allows (see private_origins.ts), hop by hop.
 *
 * The check and the connection use the same addresses: a plain-http request goes to the address
 * that was checked (with the original `Host` header), so a name that resolves to a public address
 * for the check and to 169.254.169.254 a moment later (DNS rebinding) cannot reach the cloud
 * metadata service. An https request keeps the name: TLS then only completes with a server holding
 * a certificate for that name, which a rebound private address does not have.
 *
 * Failures are a {@link DownloadError} with a machine-readable {@link DownloadFailureReason}, so
 * each caller words them for its audience (a log line, a user's error message).
 *
 * @module
 */

import { isIpLiteral, isPublicAddress } from "./public_address.ts";

/** Limits of {@link boundedDownload}. */
export interface DownloadLimits {
  /** Whole-download timeout (ms). */
  timeoutMs: number;
  /** Largest accepted body (bytes). */
  maxBytes: number;
  /**
   * Whether a private origin (`http://host:port`, as `URL.origin` writes it) may be fetched
   * anyway — compared exactly, at every hop. Default: none is.
   */
  privateOriginAllowed?: (origin: string) => boolean;
  /** Redirects followed at most; default 3. */
  maxRedirects?: number;
  /** Resolves a host name to its addresses; default Deno.resolveDns (A and AAAA). */
  resolve?: (hostname: string) => Promise<string[]>;
  /** Which resolved addresses may be connected to; default {@link isPublicAddress} (tests widen it). */
  allowAddress?: (address: string) => boolean;
  /** Refuses a content type (already lower-cased, without parameters) by returning false. */
  acceptType?: (contentType: string) => boolean;
}

/** A downloaded file. */
export interface DownloadedFile {
  /** The content type the server gave, lower-cased, parameters dropped; `""` when none. */
  contentType: string;
  /** The file name from `Content-Disposition`, when the server gave one. */
  filename?: string;
  /** The URL the bytes finally came from (after redirects). */
  url: string;
  data: Uint8Array;
}

/** Why a download failed. */
export type DownloadFailureReason =
  | "invalid_url"
  | "private_address"
  | "unresolvable"
  | "too_many_redirects"
  | "http_status"
  | "unacceptable_type"
  | "too_large"
  | "empty"
  | "timeout"
  | "network";

/** Details of a failure, by reason. */
export interface DownloadFailure {
  reason: DownloadFailureReason;
  /** The host concerned (`private_address`, `unresolvable`). */
  host?: string;
  /** The URL's scheme (`invalid_url` for a non-http URL), e.g. `file:`. */
  protocol?: string;
  /** The HTTP status (`http_status`). */
  status?: number;
  /** The refused content type (`unacceptable_type`). */
  contentType?: string;
  /** `too_large`: the size the server declared, when it did (else it grew past the cap). */
  size?: number;
  /** `too_large`: the cap; `timeout`: the timeout (ms). */
  limit?: number;
  /** `network`: what the HTTP client said. */
  detail?: string;
}

/** A download that failed; `failure` says why, the message is a sentence for logs. */
export class DownloadError extends Error {
  override name = "DownloadError";
  constructor(readonly failure: DownloadFailure, message: string) {
    super(message);
  }
}

/** Downloads `url` within `limits`, or throws a {@link DownloadError}. */
export async function boundedDownload(
  url: string,
  limits: DownloadLimits,
): Promise<DownloadedFile> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  const pinning = new PinnedClient();
  try {
    return await download(url, limits, signal, pinning);
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    if (signal.aborted) {
      throw new DownloadError(
        { reason: "timeout", limit: limits.timeoutMs },
        `The download took longer than ${limits.timeoutMs} ms`,
      );
    }
    const detail = error instanceof Error ? error.message : String(error);
    throw new DownloadError({ reason: "network", detail }, `The download failed: ${detail}`);
  } finally {
    pinning.close();
  }
}

/** The HTTP client that may set `Host` (for pinned requests), created only when one is needed. */
class PinnedClient {
  #client: Deno.HttpClient | undefined;

  get(): Deno.HttpClient {
    return this.#client ??= Deno.createHttpClient({ allowHost: true });
  }

  close(): void {
    this.#client?.close();
    this.#client = undefined;
  }
}

/** Where one hop connects: the URL to fetch, and the `Host` header when the URL was pinned. */
export interface ConnectTarget {
  url: URL;
  host?: string;
}

/**
 * The request for `target` once its name resolved to the checked `address`: plain http is sent
 * to that address with the original `Host`; https (and IP literals) keep the URL as it is.
 */
export function pinnedTarget(target: URL, address: string): ConnectTarget {
  if (target.protocol !== "http:" || isIpLiteral(target.hostname)) return { url: target };
  const url = new URL(target.href);
  url.hostname = address.includes(":") ? `[${address}]` : address;
  return { url, host: target.host };
}

async function download(
  start: string,
  limits: DownloadLimits,
  signal: AbortSignal,
  pinning: PinnedClient,
): Promise<DownloadedFile> {
  let url = start;
  const maxRedirects = limits.maxRedirects ?? 3;
  for (let hop = 0;; hop++) {
    const target = parseUrl(url);
    const connect = limits.privateOriginAllowed?.(target.origin)
      ? { url: target }
      : pinnedTarget(target, await checkedAddress(target.hostname, limits));
    const response = await fetch(
      connect.url,
      connect.host
        ? { redirect: "manual", signal, client: pinning.get(), headers: { host: connect.host } }
        : { redirect: "manual", signal },
    );
    if (response.status >= 300 && response.status < 400 && response.headers.has("location")) {
      await response.body?.cancel();
      if (hop >= maxRedirects) {
        throw new DownloadError(
          { reason: "too_many_redirects", limit: maxRedirects },
          `The URL redirects more than ${maxRedirects} times`,
        );
      }
      url = new URL(response.headers.get("location")!, target).href;
      continue;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DownloadError(
        { reason: "http_status", status: response.status },
        `The server answered HTTP ${response.status}`,
      );
    }
    const contentType = (response.headers.get("content-type") ?? "").split(";")[0].trim()
      .toLowerCase();
    if (limits.acceptType && !limits.acceptType(contentType)) {
      await response.body?.cancel();
      throw new DownloadError(
        { reason: "unacceptable_type", contentType },
        `The content type "${contentType}" is not accepted`,
      );
    }
    const declared = Number(response.headers.get("content-length") ?? "0");
    if (Number.isFinite(declared) && declared > limits.maxBytes) {
      await response.body?.cancel();
      throw new DownloadError(
        { reason: "too_large", size: declared, limit: limits.maxBytes },
        `The file is larger than ${limits.maxBytes} bytes (${declared})`,
      );
    }
    const data = await readCapped(response, limits.maxBytes);
    if (data.byteLength === 0) throw new DownloadError({ reason: "empty" }, "The file is empty");
    const filename = filenameOf(response.headers.get("content-disposition"));
    return { contentType, ...(filename ? { filename } : {}), url: target.href, data };
  }
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DownloadError({ reason: "invalid_url" }, "The URL is not a valid URL");
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") {
    throw new DownloadError(
      { reason: "invalid_url", protocol: parsed.protocol },
      `Only http and https URLs are fetched, not ${parsed.protocol}`,
    );
  }
  return parsed;
}

/** The address to connect to for `hostname`, after checking every address it resolves to. */
async function checkedAddress(hostname: string, limits: DownloadLimits): Promise<string> {
  const allowed = limits.allowAddress ?? isPublicAddress;
  const refused = () =>
    new DownloadError(
      { reason: "private_address", host: hostname },
      `The URL points to a local or private address (${hostname})`,
    );
  if (isIpLiteral(hostname)) {
    if (!allowed(hostname)) throw refused();
    return hostname.replace(/^\[(.*)\]$/, "$1");
  }
  if (hostname === "localhost" || hostname.endsWith(".localhost")) throw refused();
  const addresses = await (limits.resolve ?? resolveDns)(hostname);
  if (addresses.length === 0) {
    throw new DownloadError(
      { reason: "unresolvable", host: hostname },
      `Cannot resolve ${hostname}`,
    );
  }
  if (!addresses.every(allowed)) throw refused();
  return addresses[0];
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
      throw new DownloadError(
        { reason: "too_large", limit: maxBytes },
        `The file is larger than ${maxBytes} bytes`,
      );
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

/**
 * The file name of a `Content-Disposition` header (RFC 6266: `filename*=UTF-8''…` preferred over
 * `filename="…"`), without any path; undefined when there is none or it is unusable.
 */
export function filenameOf(header: string | null): string | undefined {
  if (!header) return undefined;
  let name: string | undefined;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (extended) {
    try {
      name = decodeURIComponent(extended[2].trim());
    } catch {
      name = undefined;
    }
  }
  if (name === undefined) {
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(header);
    name = plain ? (plain[1]?.replace(/\\(.)/g, "$1") ?? plain[2].trim()) : undefined;
  }
  const base = name?.split(/[\\/]/).pop()?.trim();
  return base && base !== "." && base !== ".." && base.isWellFormed() ? base : undefined;
}
