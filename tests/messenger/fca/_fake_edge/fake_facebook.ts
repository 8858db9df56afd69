/**
 * A loopback fake of the parts of Facebook that fca-unofficial talks to.
 *
 * One HTTP server plays www.facebook.com / upload.facebook.com (fca's HTTPS is routed here by
 * the Worker's test-only endpoint override, the `Host` header kept) and Messenger's edge: an
 * MQTT 3.1-over-WebSocket broker at `/chat`. Tests configure accounts, flip failure modes
 * (hanging home page, refused websocket, silent broker, expired session) and publish deltas to
 * an account's live connections; they read back what fca sent.
 *
 * @module
 */

import {
  type ClientPacket,
  encodeConnack,
  encodePingresp,
  encodePuback,
  encodePublish,
  encodeSuback,
  encodeUnsuback,
  MqttParser,
} from "./mqtt_codec.ts";
import { checkpointPage, homePage, loginPage } from "./pages.ts";

/** An account the fake knows. */
export interface FakeAccount {
  id: string;
  /** The `xs` cookie value that is valid for this account. */
  xs: string;
  email?: string;
  password?: string;
  /** When set, a password login goes through a two-factor checkpoint wanting this code. */
  twoFactorCode?: string;
  /** The session was revoked: home page clears c_user, API calls answer "Not logged in". */
  expired?: boolean;
}

/** Something fca sent to the fake. */
export interface RecordedRequest {
  method: string;
  host: string;
  path: string;
  form: Record<string, string>;
  user?: string;
}

interface BrokerConnection {
  socket: WebSocket;
  user: string;
  topics: Set<string>;
  published: { topic: string; payload: string }[];
}

const GRAPHQL_OK_TAIL = `\r\n{"successful_results":1,"error_results":0,"skipped_results":0}`;

/** See the module documentation. */
export class FakeFacebook {
  readonly accounts = new Map<string, FakeAccount>();
  readonly requests: RecordedRequest[] = [];
  /** Every MQTT connection ever opened, in order. */
  readonly connections: BrokerConnection[] = [];
  /** GET / answered with a logged-in home page, per user id: counts logins. */
  readonly homePageLogins = new Map<string, number>();
  /**
   * 1:1 threads (by the other user's id) that are pending message requests: getThreadInfo puts
   * them in the PENDING folder (others in INBOX) until move_thread.php moves them.
   */
  readonly messageRequests = new Set<string>();

  /** GET / never answers (until close). */
  hangHomePage = false;
  /** The websocket upgrade is refused with HTTP 403. */
  refuseWebsocket = false;
  /** The broker accepts and acknowledges but never sends /t_ms nor answers pings. */
  silentBroker = false;

  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #releaseHanging: (() => void)[] = [];
  #checkpointVerified = new Set<string>();
  #nextMessage = 1;
  #seq = 100;

  /** Starts listening on a random loopback port. */
  start(): Promise<void> {
    return new Promise((resolve) => {
      this.#server = Deno.serve({
        hostname: "127.0.0.1",
        port: 0,
        onListen: () => resolve(),
      }, (request) => this.#handle(request));
    });
  }

  /** `http://127.0.0.1:PORT`, for the Worker's endpoint override. */
  get origin(): string {
    return `http://127.0.0.1:${this.#port()}`;
  }

  /** Adds an account; returns cookies that log it in. */
  addAccount(account: FakeAccount): { key: string; value: string; domain: string }[] {
    this.accounts.set(account.id, account);
    return [
      { key: "c_user", value: account.id, domain: "facebook.com" },
      { key: "xs", value: account.xs, domain: "facebook.com" },
      { key: "datr", value: `datr-${account.id}`, domain: "facebook.com" },
    ];
  }

  /** Live connections of a user (newest last). */
  liveConnections(user: string): BrokerConnection[] {
    return this.connections.filter((connection) =>
      connection.user === user && connection.socket.readyState === WebSocket.OPEN
    );
  }

  /** Publishes `payload` (JSON-encoded unless a string) on `topic` to a user's live connections. */
  publish(user: string, topic: string, payload: unknown): number {
    const text = typeof payload === "string" ? payload : JSON.stringify(payload);
    const live = this.liveConnections(user);
    for (const connection of live) connection.socket.send(encodePublish(topic, text));
    return live.length;
  }

  /** Publishes deltas on /t_ms, as Messenger's sync does. */
  publishDeltas(user: string, deltas: unknown[]): number {
    this.#seq += deltas.length;
    return this.publish(user, "/t_ms", { deltas, lastIssuedSeqId: this.#seq });
  }

  /** Closes every MQTT connection of a user (as an edge restart would). */
  dropConnections(user: string): void {
    for (const connection of this.liveConnections(user)) connection.socket.close();
  }

  /** Requests fca sent to a path. */
  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((request) => request.path === path);
  }

  /** Stops the server, releasing hanging requests and closing sockets. */
  async close(): Promise<void> {
    for (const release of this.#releaseHanging) release();
    this.#releaseHanging = [];
    for (const connection of this.connections) {
      try {
        connection.socket.close();
      } catch {
        // Already closed.
      }
    }
    await this.#server?.shutdown();
    this.#server = undefined;
  }

  #port(): number {
    if (this.#server === undefined) throw new Error("FakeFacebook not started");
    return this.#server.addr.port;
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const host = request.headers.get("host") ?? "";
    if (url.pathname === "/chat") return this.#upgrade(request);
    const cookies = parseCookieHeader(request.headers.get("cookie") ?? "");
    const form = await readForm(request, url);
    const user = this.#authenticated(cookies)?.id;
    this.requests.push({ method: request.method, host, path: url.pathname, form, user });
    const route = `${request.method} ${url.pathname}`;
    switch (route) {
      case "GET /":
        return await this.#home(cookies);
      case "POST /login/device-based/regular/login/":
        return this.#passwordLogin(form);
      case "GET /checkpoint/":
        return html(checkpointPage());
      case "POST /checkpoint/":
        return this.#checkpoint(form, cookies);
    }
    if (this.#authenticated(cookies) === undefined) {
      return fbJson({ error: 1357001, errorSummary: "Not logged in", errorDescription: "" });
    }
    switch (route) {
      case "POST /api/graphqlbatch/":
        return this.#graphqlBatch(form);
      case "POST /messaging/send/":
        return this.#send(form);
      case "GET /mercury/attachments/photo":
        return fbJson({
          jsmods: {
            require: [[
              "ServerRedirect",
              "redirectPageTo",
              [],
              [`https://scontent.fake/resolved-${form.photo_id}.jpg`],
            ]],
          },
        });
      case "POST /chat/user_info/":
        return fbJson({ payload: { profiles: this.#profiles(form) } });
      case "POST /ajax/mercury/upload.php":
        return fbJson({
          payload: {
            metadata: [{ image_id: 7001, filename: "upload.png", filetype: "image/png" }],
          },
        });
      case "POST /ajax/mercury/move_thread.php":
        return this.#moveThreads(form);
      case "POST /ajax/mercury/delivery_receipts.php":
      case "POST /ajax/messaging/typ.php":
      case "POST /messaging/unsend_message/":
      case "POST /webgraphql/mutation/":
      case "POST /ajax/mercury/change_read_status.php":
        return fbJson({ payload: {} });
      default:
        return new Response("Not found", { status: 404 });
    }
  }

  #authenticated(cookies: Map<string, string>): FakeAccount | undefined {
    const account = this.accounts.get(cookies.get("c_user") ?? "");
    if (account === undefined || account.expired === true) return undefined;
    return cookies.get("xs") === account.xs ? account : undefined;
  }

  async #home(cookies: Map<string, string>): Promise<Response> {
    if (this.hangHomePage) {
      await new Promise<void>((resolve) => this.#releaseHanging.push(resolve));
      return new Response("Too late", { status: 503 });
    }
    const account = this.#authenticated(cookies);
    if (account === undefined) {
      const headers = new Headers({ "content-type": "text/html; charset=utf-8" });
      if (cookies.has("c_user")) {
        // What Facebook does with a revoked session: log the browser out.
        headers.append(
          "set-cookie",
          "c_user=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT; Max-Age=0; path=/; domain=.facebook.com",
        );
      }
      return new Response(loginPage(), { headers });
    }
    this.homePageLogins.set(account.id, (this.homePageLogins.get(account.id) ?? 0) + 1);
    const page = homePage({
      mqttEndpoint: `ws://127.0.0.1:${this.#port()}/chat?region=prn`,
      seqId: String(this.#seq),
    });
    return html(page);
  }

  #passwordLogin(form: Record<string, string>): Response {
    const account = [...this.accounts.values()].find((candidate) =>
      candidate.email !== undefined && candidate.email === form.email
    );
    if (account === undefined || account.password !== form.pass) {
      return html(loginPage()); // No Location header: fca says "Wrong username/password."
    }
    if (account.twoFactorCode !== undefined) {
      const headers = new Headers({
        location: "https://www.facebook.com/checkpoint/?next=https%3A%2F%2Fwww.facebook.com%2F",
      });
      headers.append("set-cookie", `checkpoint_user=${account.id}; path=/; domain=.facebook.com`);
      return new Response(null, { status: 302, headers });
    }
    return loggedInRedirect(account);
  }

  #checkpoint(form: Record<string, string>, cookies: Map<string, string>): Response {
    const account = this.accounts.get(cookies.get("checkpoint_user") ?? "");
    if (account === undefined) return html(checkpointPage("Session lost"));
    if (form.approvals_code !== undefined) {
      if (form.approvals_code !== account.twoFactorCode) {
        return html(checkpointPage("The code you entered is not correct"));
      }
      this.#checkpointVerified.add(account.id);
      return html("<html><body>Remember this browser?</body></html>");
    }
    if (this.#checkpointVerified.has(account.id)) return loggedInRedirect(account);
    return html(checkpointPage("Enter the code first"));
  }

  #graphqlBatch(form: Record<string, string>): Response {
    const queries = form.queries ?? "";
    if (form.batch_name === "MessengerGraphQLThreadFetcher") return this.#threadInfo(queries);
    if (queries.includes('"includeSeqID":true')) {
      this.#seq++;
      const body = JSON.stringify({
        o0: { data: { viewer: { message_threads: { sync_sequence_id: String(this.#seq) } } } },
      });
      return new Response(`for (;;);${body}${GRAPHQL_OK_TAIL}`);
    }
    return new Response(
      `for (;;);${JSON.stringify({ o0: { errors: [{ message: "Unknown query (fake)" }] } })}` +
        `\r\n{"successful_results":0,"error_results":1,"skipped_results":0}`,
    );
  }

  /** getThreadInfo: a 1:1 thread with the account, in PENDING when it is a message request. */
  #threadInfo(queries: string): Response {
    let id = "";
    try {
      id = String(JSON.parse(queries).o0.query_params.id ?? "");
    } catch {
      // Answered as an unknown thread below.
    }
    const actor = (user: string) => ({
      node: {
        messaging_actor: {
          id: user,
          name: `User ${user}`,
          short_name: "User",
          username: null,
          big_image_src: { uri: `https://scontent.fake/avatar-${user}.jpg` },
          gender: "UNKNOWN",
          __typename: "User",
          is_viewer_friend: !this.messageRequests.has(user),
        },
      },
    });
    const thread = {
      thread_key: { thread_fbid: null, other_user_id: id },
      name: null,
      all_participants: { edges: [actor(id)] },
      unread_count: 1,
      messages_count: 1,
      updated_time_precise: "1700000000001",
      mute_until: null,
      thread_type: "ONE_TO_ONE",
      is_viewer_subscribed: true,
      has_viewer_archived: false,
      folder: this.messageRequests.has(id) ? "PENDING" : "INBOX",
      cannot_reply_reason: null,
      event_reminders: { nodes: [] },
      customization_info: null,
      thread_admins: [],
      approval_mode: null,
      group_approval_queue: { nodes: [] },
      reactions_mute_mode: "REACTIONS_NOT_MUTED",
      mentions_mute_mode: "MENTIONS_NOT_MUTED",
      is_pin_protected: false,
      related_page_thread: null,
      image: null,
      is_canonical_neo_user: false,
      last_message: null,
    };
    const body = JSON.stringify({ o0: { data: { message_thread: thread } } });
    return new Response(`for (;;);${body}${GRAPHQL_OK_TAIL}`);
  }

  /** handleMessageRequest: `inbox[i]` accepts, `other[i]` declines; either way no longer pending. */
  #moveThreads(form: Record<string, string>): Response {
    for (const [key, value] of Object.entries(form)) {
      if (/^(inbox|other)\[\d+\]$/.test(key)) this.messageRequests.delete(value);
    }
    return fbJson({ payload: {} });
  }

  #send(form: Record<string, string>): Response {
    const thread = form.thread_fbid ?? form.other_user_fbid ?? "0";
    const number = this.#nextMessage++;
    return fbJson({
      payload: {
        actions: [{
          thread_fbid: thread,
          message_id: `mid.$fakeSent${number}`,
          timestamp: 1_700_000_100_000 + number,
        }],
      },
    });
  }

  #profiles(form: Record<string, string>): Record<string, unknown> {
    const profiles: Record<string, unknown> = {};
    for (const [key, id] of Object.entries(form)) {
      if (!key.startsWith("ids[")) continue;
      profiles[id] = {
        name: `User ${id}`,
        firstName: "User",
        thumbSrc: `https://scontent.fake/avatar-${id}.jpg`,
        uri: `https://www.facebook.com/${id}`,
        is_friend: true,
        type: "user",
      };
    }
    return profiles;
  }

  #upgrade(request: Request): Response {
    if (this.refuseWebsocket || request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("Forbidden", { status: 403 });
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    const parser = new MqttParser();
    const connection: BrokerConnection = { socket, user: "", topics: new Set(), published: [] };
    this.connections.push(connection);
    socket.onmessage = (event) => {
      const data = event.data instanceof ArrayBuffer
        ? new Uint8Array(event.data)
        : new TextEncoder().encode(String(event.data));
      for (const packet of parser.push(data)) this.#onPacket(connection, packet);
    };
    socket.onerror = () => {/* the client went away */};
    return response;
  }

  #onPacket(connection: BrokerConnection, packet: ClientPacket): void {
    const send = (bytes: Uint8Array) => {
      if (connection.socket.readyState === WebSocket.OPEN) connection.socket.send(bytes);
    };
    switch (packet.type) {
      case "connect": {
        try {
          connection.user = String(JSON.parse(packet.username ?? "{}").u ?? "");
        } catch {
          connection.user = "";
        }
        send(encodeConnack());
        return;
      }
      case "subscribe":
        for (const { topic } of packet.topics) connection.topics.add(topic);
        send(encodeSuback(packet.messageId, packet.topics.map(() => 0)));
        return;
      case "unsubscribe":
        send(encodeUnsuback(packet.messageId));
        return;
      case "publish": {
        const payload = new TextDecoder().decode(packet.payload);
        connection.published.push({ topic: packet.topic, payload });
        if (packet.messageId !== undefined) send(encodePuback(packet.messageId));
        const syncTopics = ["/messenger_sync_create_queue", "/messenger_sync_get_diffs"];
        if (syncTopics.includes(packet.topic) && !this.silentBroker) {
          this.#seq++;
          send(encodePublish(
            "/t_ms",
            JSON.stringify({
              firstDeltaSeqId: this.#seq,
              syncToken: "fake-sync-token",
              lastIssuedSeqId: this.#seq,
            }),
          ));
        }
        return;
      }
      case "pingreq":
        if (!this.silentBroker) send(encodePingresp());
        return;
      case "disconnect":
        connection.socket.close();
        return;
      default:
        return;
    }
  }
}

function loggedInRedirect(account: FakeAccount): Response {
  const headers = new Headers({ location: "https://www.facebook.com/" });
  headers.append("set-cookie", `c_user=${account.id}; path=/; domain=.facebook.com; secure`);
  headers.append("set-cookie", `xs=${account.xs}; path=/; domain=.facebook.com; secure; httponly`);
  return new Response(null, { status: 302, headers });
}

function html(body: string): Response {
  return new Response(body, { headers: { "content-type": "text/html; charset=utf-8" } });
}

/** Facebook's JSON answers start with an infinite loop guard; fca strips it. */
function fbJson(value: unknown): Response {
  return new Response(`for (;;);${JSON.stringify(value)}`, {
    headers: { "content-type": "application/x-javascript; charset=utf-8" },
  });
}

function parseCookieHeader(header: string): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0) cookies.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return cookies;
}

async function readForm(request: Request, url: URL): Promise<Record<string, string>> {
  const form: Record<string, string> = {};
  for (const [key, value] of url.searchParams) form[key] = value;
  if (request.method !== "POST") return form;
  const body = await request.text();
  const type = request.headers.get("content-type") ?? "";
  if (type.includes("multipart/form-data")) {
    // fca posts multipart without the boundary parameter; names are enough for the fake.
    for (const match of body.matchAll(/name="([^"]+)"\r\n(?:[^\r\n]+\r\n)*\r\n([^\r]*)/g)) {
      form[match[1]] = match[2];
    }
    return form;
  }
  for (const [key, value] of new URLSearchParams(body)) form[key] = value;
  return form;
}
