/**
 * The loopback HTTP server that serves attachments of the simulated network, like Facebook's CDN
 * serves real ones: what the gateway sends is stored here and the receiving side gets a URL, and
 * the control API can upload files that injected events then refer to.
 *
 * It starts lazily on the first stored file (127.0.0.1, a free port) and keeps files in memory up
 * to a byte budget; the oldest are dropped beyond it, so their URLs answer 404 — as expired
 * Messenger URLs do.
 *
 * @module
 */

import { messengerLog } from "../../log.ts";
import type { SimulatedIds } from "./simulated_ids.ts";

/** A file the server holds. */
export interface StoredFile {
  url: string;
  filename: string;
  contentType: string;
  size: number;
}

interface Entry {
  file: StoredFile;
  data: Uint8Array;
}

/** Stores files in memory and serves them at `http://127.0.0.1:<port>/files/<id>/<name>`. */
export class FileServer {
  readonly #files = new Map<string, Entry>();
  #bytes = 0;
  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #baseUrl: string | undefined;
  #closed = false;

  constructor(
    private readonly ids: SimulatedIds,
    private readonly maxBytes = 256 * 1024 * 1024,
  ) {}

  /** Stores a copy of `data` and returns where it is served (starting the server if needed). */
  store(data: Uint8Array, filename: string, contentType: string): StoredFile {
    if (this.#closed) throw new Error("The simulated file server is closed");
    const id = this.ids.file();
    const safeName = filename.replace(/[^\w.\-]+/g, "_").slice(0, 100) || "file";
    const url = `${this.#start()}/files/${id}/${encodeURIComponent(safeName)}`;
    const file: StoredFile = { url, filename, contentType, size: data.byteLength };
    this.#files.set(id, { file, data: data.slice() });
    this.#bytes += data.byteLength;
    for (const [oldId, entry] of this.#files) {
      if (this.#bytes <= this.maxBytes || oldId === id) break;
      this.#files.delete(oldId);
      this.#bytes -= entry.data.byteLength;
    }
    return file;
  }

  /** The server's base URL, once started. */
  get baseUrl(): string | undefined {
    return this.#baseUrl;
  }

  /** Stops the server and forgets every file. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#files.clear();
    this.#bytes = 0;
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await server.shutdown();
  }

  #start(): string {
    if (this.#baseUrl !== undefined) return this.#baseUrl;
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (request) => this.#handle(request),
    );
    this.#server = server;
    this.#baseUrl = `http://127.0.0.1:${server.addr.port}`;
    messengerLog.debug("Simulated file server listening on {url}", { url: this.#baseUrl });
    return this.#baseUrl;
  }

  #handle(request: Request): Response {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return new Response("Method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const match = new URL(request.url).pathname.match(/^\/files\/([^/]+)\/[^/]+$/);
    const entry = match === null ? undefined : this.#files.get(match[1]);
    if (entry === undefined) return new Response("Not found\n", { status: 404 });
    const headers = {
      "content-type": entry.file.contentType,
      "content-length": String(entry.data.byteLength),
      "cache-control": "private, max-age=3600",
    };
    if (request.method === "HEAD") return new Response(null, { headers });
    return new Response(entry.data.slice(), { headers });
  }
}
