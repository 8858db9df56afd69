/**
 * A loopback HTTP server serving one small PNG as people's profile pictures, as Facebook's CDN
 * serves real ones, and the checks a picture's vCard PHOTO needs. Being on loopback it is a
 * private origin: give {@link PictureServer.config} to the gateway so it fetches from there.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import type { TomlTable } from "./gateway.ts";

/** The 1×1 PNG every path serves. */
const PNG = new Uint8Array(
  Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
    "base64",
  ),
);

/** What {@link servePictures} started; dispose it to stop the server. */
export interface PictureServer extends AsyncDisposable {
  /** The picture's URL under `name` (any name serves the same picture). */
  url(name: string): string;
  /** The lower-case hex SHA-1 of the picture: its XEP-0153 hash. */
  sha1: string;
  /** The gateway configuration that lets it fetch from this private origin. */
  config: TomlTable;
}

/** Starts the server on 127.0.0.1 at a free port. */
export function servePictures(): PictureServer {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => new Response(PNG, { headers: { "content-type": "image/png" } }),
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    url: (name) => `${origin}/${name}`,
    sha1: sha1Of(PNG),
    config: { messages: { private_file_origins: [origin] } },
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** The SHA-1 (lower-case hex) of a vCard PHOTO's BINVAL. */
export function binvalSha1(binval: string): string {
  return sha1Of(Buffer.from(binval, "base64"));
}

function sha1Of(data: Uint8Array): string {
  return createHash("sha1").update(data).digest("hex");
}
