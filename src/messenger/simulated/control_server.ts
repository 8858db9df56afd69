/**
 * The control API over HTTP (JSON), for tests in other processes, shell scripts and admins trying
 * the demo: a thin layer over {@link SimulatedControl}. It listens on loopback only, because it
 * has no authentication. See docs/simulated-network.md for every endpoint with curl examples.
 *
 * Errors are JSON `{"error": {"code", "message"}}`: 400 for invalid JSON or fields, 404 for an
 * unknown account, message or route, 405 for a wrong method, 413 for a body too large, 409 when
 * the simulated network refused (e.g. `disconnected`), 500 otherwise.
 *
 * @module
 */

import { isMessengerError, MessengerError, type MessengerErrorCode } from "../errors.ts";
import { messengerLog } from "../../log.ts";
import type { SimulatedControl } from "./control.ts";
import type { Fault } from "./faults.ts";
import type { Injection } from "./injection.ts";
import { assertLoopbackHostname } from "./loopback.ts";

/** Largest request body accepted (an injected 25 MB attachment in base64, plus room). */
const MAX_BODY_BYTES = 40 * 1024 * 1024;

/** Where the control API listens. */
export interface ControlAddress {
  /** A loopback address: `127.0.0.1`, `::1` or `localhost`. */
  hostname: string;
  /** 0 picks a free port. */
  port: number;
}

/** The running HTTP control API. */
export class ControlServer {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  /** Base URL, e.g. `http://127.0.0.1:8899`. */
  readonly url: string;

  private constructor(server: Deno.HttpServer<Deno.NetAddr>) {
    this.#server = server;
    const { hostname, port } = server.addr;
    this.url = `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}`;
  }

  /**
   * Starts serving `control` at `address`. Throws before binding anything when the hostname is
   * not a loopback address.
   */
  static start(control: SimulatedControl, address: ControlAddress): ControlServer {
    assertLoopbackHostname(address.hostname, "The simulated network's control API");
    const server = Deno.serve(
      { hostname: address.hostname, port: address.port, onListen: () => {} },
      (request) => handle(control, request),
    );
    const started = new ControlServer(server);
    messengerLog.info("Simulated network control API listening on {url}", { url: started.url });
    return started;
  }

  /** Stops listening (waits for open requests). */
  async close(): Promise<void> {
    await this.#server.shutdown();
  }
}

type Route = {
  method: string;
  pattern: RegExp;
  run: (control: SimulatedControl, match: string[], request: Request, url: URL) => Promise<unknown>;
  /** Success status (default 200). */
  status?: number;
};

const ROUTES: Route[] = [
  {
    method: "GET",
    pattern: /^\/accounts$/,
    run: (control) => Promise.resolve({ accounts: control.accounts() }),
  },
  {
    method: "POST",
    pattern: /^\/accounts\/([^/]+)\/events$/,
    run: async (control, [, account], request) => {
      const body = await readJson(request);
      return { events: await control.inject(account, body as Injection | Injection[]) };
    },
  },
  {
    method: "POST",
    pattern: /^\/accounts\/([^/]+)\/redeliver$/,
    run: async (control, [, account], request) => {
      const body = await readJson(request);
      const messageId = typeof body === "object" && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>).messageId
        : undefined;
      if (typeof messageId !== "string") {
        throw new MessengerError("bad_request", "messageId must be a string");
      }
      return { sessions: await control.redeliver(account, messageId) };
    },
  },
  {
    method: "GET",
    pattern: /^\/accounts\/([^/]+)\/operations$/,
    run: (control, [, account], _request, url) => {
      const raw = url.searchParams.get("since") ?? "0";
      if (!/^[0-9]{1,15}$/.test(raw)) {
        throw new MessengerError("bad_request", "since must be a non-negative integer");
      }
      return Promise.resolve(control.operations(account, Number(raw)));
    },
  },
  {
    method: "GET",
    pattern: /^\/accounts\/([^/]+)\/faults$/,
    run: (control, [, account]) => Promise.resolve({ faults: control.faults(account) }),
  },
  {
    method: "POST",
    pattern: /^\/accounts\/([^/]+)\/faults$/,
    run: async (control, [, account], request) => {
      const body = await readJson(request);
      return { faults: control.addFaults(account, body as Fault | Fault[]) };
    },
  },
  {
    method: "DELETE",
    pattern: /^\/accounts\/([^/]+)\/faults$/,
    run: (control, [, account]) => {
      control.clearFaults(account);
      return Promise.resolve({ faults: [] });
    },
  },
  {
    method: "GET",
    pattern: /^\/accounts\/([^/]+)\/threads$/,
    run: (control, [, account]) => Promise.resolve({ threads: control.threads(account) }),
  },
  {
    method: "POST",
    pattern: /^\/files$/,
    status: 201,
    run: async (control, _match, request, url) => {
      const filename = url.searchParams.get("filename") ?? "file";
      const contentType = url.searchParams.get("contentType") ??
        request.headers.get("content-type") ?? "application/octet-stream";
      const data = await readBody(request);
      return control.uploadFile(data, filename, contentType);
    },
  },
  {
    method: "POST",
    pattern: /^\/idle$/,
    run: async (control) => {
      await control.idle();
      return {};
    },
  },
];

async function handle(control: SimulatedControl, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const path = url.pathname.replace(/\/+$/, "") || "/";
  const matching = ROUTES.map((route) => ({ route, match: path.match(route.pattern) }))
    .filter((entry) => entry.match !== null);
  if (matching.length === 0) return error(404, "not_found", `No endpoint ${url.pathname}`);
  const found = matching.find((entry) => entry.route.method === request.method);
  if (found === undefined) {
    const allowed = matching.map((entry) => entry.route.method).join(", ");
    const response = error(405, "bad_request", `Use ${allowed} on ${url.pathname}`);
    response.headers.set("allow", allowed);
    return response;
  }
  try {
    const params = (found.match as RegExpMatchArray).map((part) => decodeURIComponent(part ?? ""));
    const result = await found.route.run(control, params, request, url);
    return json(found.route.status ?? 200, result);
  } catch (caught) {
    if (caught instanceof BodyTooLarge) {
      return error(413, "bad_request", `The body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    if (isMessengerError(caught)) return error(statusOf(caught.code), caught.code, caught.message);
    messengerLog.error("Simulated control API failed on {path}: {error}", {
      path: url.pathname,
      error: caught,
    });
    return error(500, "internal", "The control API failed; see the gateway's log");
  }
}

function statusOf(code: MessengerErrorCode): number {
  if (code === "bad_request") return 400;
  if (code === "not_found") return 404;
  return 409;
}

class BodyTooLarge extends Error {}

async function readBody(request: Request): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw new BodyTooLarge();
  if (request.body === null) return new Uint8Array();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new BodyTooLarge();
    chunks.push(chunk);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}

async function readJson(request: Request): Promise<unknown> {
  const text = new TextDecoder().decode(await readBody(request));
  if (text.trim() === "") throw new MessengerError("bad_request", "The body is empty: send JSON");
  try {
    return JSON.parse(text);
  } catch {
    throw new MessengerError("bad_request", "The body is not valid JSON");
  }
}

function json(status: number, body: unknown): Response {
  return new Response(`${JSON.stringify(body, null, 2)}\n`, {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

function error(status: number, code: MessengerErrorCode, message: string): Response {
  return json(status, { error: { code, message } });
}
