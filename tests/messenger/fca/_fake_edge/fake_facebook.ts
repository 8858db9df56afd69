/**
 * A loopback fake of the parts of Facebook that fca-unofficial talks to.
 *
 * One HTTP server plays www.facebook.com / upload.facebook.com (fca's HTTPS is routed here by
 * the Worker's test-only endpoint override, the `Host` header kept) and Messenger's edge: an
 * MQTT 3.1-over-WebSocket broker at `/chat`. Tests configure accounts, flip failure modes
 * (hanging home page, refused websocket, silent broker, silenced connections, expired session,
 * checkpoints, rotated tokens) and publish deltas to an account's live connections; they read
 * back what fca sent, headers included.
 *
 * Like Facebook, every POST must carry the account's current `fb_dtsg` (else error 1357004, what
 * a stale token gets); with the 2026 home page ({@link FakeFacebook.pageStyle}) also its LSD
 * token, as form field `lsd` and header `x-fb-lsd` — stricter than Facebook is known to be, so
 * that every test proves the adapter sends them.
 *
 * Queries and group changes (friends, search, thread list / info / history, one message by id,
 * create / add / remove / rename / admins) answer from {@link FakeFacebook.people} and
 * {@link FakeFacebook.threads} in the shapes of ./graph.ts, and change them as Facebook would;
 * an admin change is also published to every member's live connections, as the admin text
 * Messenger shows in the conversation.
 * {@link FakeFacebook.replyOnce} replaces one answer (an error payload, garbage) to test failures.
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
import {
  adminChangeDelta,
  avatarUrl,
  facebookError,
  type FakePerson,
  type FakeThread,
  graphqlBatch,
  graphqlBatchError,
  graphqlError,
  groupCreated,
  MESSAGE_QUERY_DOC_ID,
  threadHistory,
  threadInfo,
  threadList,
  threadMessage,
  type ThreadView,
  typeahead,
  userInfoAll,
} from "./graph.ts";
import {
  accountCheckpointPage,
  checkpointPage,
  homePage,
  loginPage,
  type PageStyle,
} from "./pages.ts";

export type { FakeMessage, FakePerson, FakeThread } from "./graph.ts";

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
  /**
   * Facebook put the account behind a checkpoint: its pages redirect there and its API calls
   * answer with a redirect to it. `suspended`: the page says the account is suspended.
   */
  checkpoint?: { suspended?: boolean };
}

/** The checkpoint an account lands on (a well-known identity-check id). */
export const CHECKPOINT_PATH = "/checkpoint/828281030927956/";

/** Something fca sent to the fake. */
export interface RecordedRequest {
  method: string;
  host: string;
  path: string;
  form: Record<string, string>;
  /** Request headers, names in lower case. */
  headers: Record<string, string>;
  user?: string;
}

/** An answer that replaces the fake's own, once (see {@link FakeFacebook.replyOnce}). */
export interface CannedReply {
  status?: number;
  body: string;
}

interface PendingReply {
  route: string;
  when: (request: RecordedRequest) => boolean;
  reply: CannedReply;
}

interface BrokerConnection {
  socket: WebSocket;
  user: string;
  topics: Set<string>;
  published: { topic: string; payload: string }[];
  /** The websocket upgrade's headers, names in lower case. */
  headers: Record<string, string>;
  /** Keeps answering pings and subscriptions, but gets no deltas (see {@link FakeFacebook.silence}). */
  silenced: boolean;
  /** Keepalives (PINGREQ) answered on this connection. */
  pingsAnswered: number;
}

/** The request tokens of an account's current page. */
interface PageTokens {
  fbDtsg: string;
  lsd: string;
}

/** Facebook's "not a member of this conversation" (fca's setTitle names it so). */
const NOT_A_MEMBER = 1545012;
/** Facebook's "you are not an admin" to an admin change (fca's changeAdminStatus names it so). */
const NOT_AN_ADMIN = 1976004;
/** Facebook's "this thread is not a group chat" (fca's changeAdminStatus names it so). */
const NOT_A_GROUP = 1357031;

/** See the module documentation. */
export class FakeFacebook {
  readonly accounts = new Map<string, FakeAccount>();
  readonly requests: RecordedRequest[] = [];
  /** Every MQTT connection ever opened, in order. */
  readonly connections: BrokerConnection[] = [];
  /** GET / answered with a logged-in home page, per user id: counts logins. */
  readonly homePageLogins = new Map<string, number>();
  /** GET /home.php answered with a logged-in page, per user id: counts token refreshes. */
  readonly tokenRefreshes = new Map<string, number>();
  /**
   * 1:1 threads (by the other user's id) that are pending message requests: getThreadInfo puts
   * them in the PENDING folder (others in INBOX) until move_thread.php moves them.
   */
  readonly messageRequests = new Set<string>();
  /**
   * Everyone the accounts deal with: friends, Messenger contacts, Pages (user_info_all lists
   * them all; the typeahead searches them). Anyone else is "User <id>", a friend unless a
   * pending message request.
   */
  readonly people = new Map<string, FakePerson>();
  /** Conversations by id (a group's thread id, or the other user's id for 1:1 ones). */
  readonly threads = new Map<string, FakeThread>();

  /** GET / never answers (until close). */
  hangHomePage = false;
  /** The websocket upgrade is refused with HTTP 403. */
  refuseWebsocket = false;
  /** The broker accepts and acknowledges but never sends /t_ms nor answers pings. */
  silentBroker = false;
  /** The home page's shape: what fca 1.3.10 knows (2020) or what Facebook serves now (2026). */
  pageStyle: PageStyle = "2020";

  #server: Deno.HttpServer<Deno.NetAddr> | undefined;
  #releaseHanging: (() => void)[] = [];
  #checkpointVerified = new Set<string>();
  #nextMessage = 1;
  #nextGroup = 1;
  #seq = 100;
  #replies: PendingReply[] = [];
  readonly #tokens = new Map<string, PageTokens>();
  #tokenGeneration = 0;

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
    this.rotateTokens(account.id);
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

  /** The account's current request tokens (what its pages carry). */
  tokensOf(user: string): PageTokens {
    const tokens = this.#tokens.get(user);
    if (tokens === undefined) throw new Error(`No account ${user}`);
    return tokens;
  }

  /** Issues new request tokens for an account: requests with the old ones get error 1357004. */
  rotateTokens(user: string): PageTokens {
    const generation = ++this.#tokenGeneration;
    const tokens = {
      fbDtsg: `AQH${user}:dtsg-${generation}`,
      lsd: `AVq${user}lsd${generation}`,
    };
    this.#tokens.set(user, tokens);
    return tokens;
  }

  /**
   * Makes a user's live connections go silent the way listeners die in the wild: they stay
   * connected and keep answering pings, but no delta reaches them. New connections are healthy.
   */
  silence(user: string): number {
    const live = this.liveConnections(user);
    for (const connection of live) connection.silenced = true;
    return live.length;
  }

  /**
   * Someone writes in a conversation: the message is stored in the thread (created if new; its
   * history and the thread list show it) and published to the account's listening connections,
   * `NewMessage` shaped the 2020 way or the 2026 way (no `attachments` list). Returns how many
   * connections it was published to (silenced ones get nothing).
   */
  deliverMessage(
    user: string,
    message: {
      thread: string;
      isGroup: boolean;
      sender: string;
      text: string;
      id?: string;
      /**
       * When it was written (ms; kept increasing within the thread); default a fixed time in
       * 2023, one second after the thread's previous message.
       */
      at?: number;
    },
    shape: "2020" | "2026" = "2020",
  ): { id: string; timestamp: number; published: number } {
    const id = message.id ?? `mid.$fakeIncoming${this.#nextMessage++}`;
    let thread = this.threads.get(message.thread);
    const timestamp = message.at === undefined
      ? Math.max(1_700_000_300_000, (thread?.updatedAt ?? 0) + 1_000)
      : Math.max(message.at, (thread?.updatedAt ?? 0) + 1);
    if (thread === undefined) {
      thread = {
        id: message.thread,
        isGroup: message.isGroup,
        participants: message.isGroup ? [user, message.sender] : [user, message.thread],
        updatedAt: timestamp,
      };
      this.threads.set(message.thread, thread);
    }
    thread.messages = [...(thread.messages ?? []), {
      id,
      sender: message.sender,
      text: message.text,
      timestamp,
    }];
    thread.updatedAt = timestamp;
    thread.unread = (thread.unread ?? 0) + 1;
    const delta: Record<string, unknown> = {
      class: "NewMessage",
      body: message.text,
      irisSeqId: String(this.#seq + 1),
      messageMetadata: {
        actorFbId: message.sender,
        messageId: id,
        offlineThreadingId: String(6_900_000_000_000_000_000n + BigInt(this.#nextMessage)),
        tags: [],
        threadKey: message.isGroup
          ? { threadFbId: message.thread }
          : { otherUserFbId: message.thread },
        timestamp: String(timestamp),
      },
    };
    if (shape === "2020") delta.attachments = [];
    return { id, timestamp, published: this.publishDeltas(user, [delta]) };
  }

  /** Publishes `payload` (JSON-encoded unless a string) on `topic` to a user's live connections. */
  publish(user: string, topic: string, payload: unknown): number {
    const text = typeof payload === "string" ? payload : JSON.stringify(payload);
    const live = this.liveConnections(user).filter((connection) => !connection.silenced);
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

  /**
   * The next request to `route` (e.g. `"POST /chat/user_info_all"`) that `when` accepts gets
   * `reply` instead of the fake's answer (after it is recorded and authenticated).
   */
  replyOnce(
    route: string,
    reply: CannedReply,
    when: (request: RecordedRequest) => boolean = () => true,
  ): void {
    this.#replies.push({ route, when, reply });
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
    const account = this.#authenticated(cookies);
    const user = account?.id;
    const headers: Record<string, string> = {};
    for (const [name, value] of request.headers) headers[name.toLowerCase()] = value;
    const recorded: RecordedRequest = {
      method: request.method,
      host,
      path: url.pathname,
      form,
      headers,
      user,
    };
    this.requests.push(recorded);
    const route = `${request.method} ${url.pathname}`;
    switch (route) {
      case "GET /":
        return await this.#home(cookies, "login");
      case "GET /home.php":
        return await this.#home(cookies, "refresh");
      case "POST /login/device-based/regular/login/":
        return this.#passwordLogin(form);
      case "GET /checkpoint/":
        return html(checkpointPage());
      case "POST /checkpoint/":
        return this.#checkpoint(form, cookies);
    }
    if (request.method === "GET" && url.pathname.startsWith(CHECKPOINT_PATH)) {
      return html(accountCheckpointPage(account?.checkpoint?.suspended === true));
    }
    if (account === undefined) {
      return fbJson({ error: 1357001, errorSummary: "Not logged in", errorDescription: "" });
    }
    if (account.checkpoint !== undefined) {
      // What a locked account's API calls get: a redirect to the page to pass.
      return fbJson({ __ar: 1, redirect: checkpointUrl(), payload: null });
    }
    if (request.method === "POST" && !this.#validTokens(account.id, form, headers)) {
      return raw(facebookError(
        1357004,
        "Sorry, something went wrong",
        "Please try closing and re-opening your browser window.",
      ));
    }
    const canned = this.#takeReply(route, recorded);
    if (canned !== undefined) {
      return new Response(canned.body, {
        status: canned.status ?? 200,
        headers: { "content-type": "application/x-javascript; charset=utf-8" },
      });
    }
    const viewer = user ?? "";
    switch (route) {
      case "POST /api/graphqlbatch/":
        return this.#graphqlBatch(form, viewer);
      case "POST /api/graphql/":
        return this.#graphql(form, viewer);
      case "POST /messaging/send/":
        return form.log_message_type === "log:subscribe"
          ? this.#addParticipants(form, viewer)
          : this.#send(form);
      case "POST /chat/user_info_all":
        return fbJson(userInfoAll([...this.people.values()]));
      case "GET /ajax/typeahead/search.php":
        return fbJson(typeahead(this.#search(form.value ?? "")));
      case "POST /chat/remove_participants":
        return this.#removeParticipant(form, viewer);
      case "POST /messaging/set_thread_name/":
        return this.#rename(form, viewer);
      case "POST /messaging/save_admins/":
        return this.#saveAdmins(form, viewer);
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

  /** Whether a POST carries the account's current tokens (LSD only with the 2026 page). */
  #validTokens(user: string, form: Record<string, string>, headers: Record<string, string>) {
    const tokens = this.tokensOf(user);
    if (form.fb_dtsg !== tokens.fbDtsg) return false;
    if (this.pageStyle !== "2026") return true;
    return form.lsd === tokens.lsd && headers["x-fb-lsd"] === tokens.lsd;
  }

  async #home(cookies: Map<string, string>, purpose: "login" | "refresh"): Promise<Response> {
    if (this.hangHomePage) {
      await new Promise<void>((resolve) => this.#releaseHanging.push(resolve));
      return new Response("Too late", { status: 503 });
    }
    const account = this.#authenticated(cookies);
    if (account?.checkpoint !== undefined) {
      return new Response(null, { status: 302, headers: { location: checkpointUrl() } });
    }
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
    const counts = purpose === "login" ? this.homePageLogins : this.tokenRefreshes;
    counts.set(account.id, (counts.get(account.id) ?? 0) + 1);
    const tokens = this.tokensOf(account.id);
    // The 2026 page names another region, so a test can tell the adapter took it from the page.
    const region = this.pageStyle === "2026" ? "atn" : "prn";
    const page = homePage(this.pageStyle, {
      user: account.id,
      mqttEndpoint: `ws://127.0.0.1:${this.#port()}/chat?region=${region}`,
      seqId: String(this.#seq),
      ...tokens,
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

  #takeReply(route: string, request: RecordedRequest): CannedReply | undefined {
    const index = this.#replies.findIndex((pending) =>
      pending.route === route && pending.when(request)
    );
    if (index === -1) return undefined;
    return this.#replies.splice(index, 1)[0].reply;
  }

  /** Known person, or the default "User <id>" (a friend unless a pending message request). */
  #person(id: string): FakePerson {
    return this.people.get(id) ??
      { id, name: `User ${id}`, firstName: "User", friend: !this.messageRequests.has(id) };
  }

  /** A conversation as `viewer` sees it; unknown 1:1 ones exist with anyone (as on Facebook). */
  #view(id: string, viewer: string): ThreadView | undefined {
    const thread = this.threads.get(id) ?? {
      id,
      isGroup: false,
      participants: [viewer, id],
      unread: 1,
      updatedAt: 1_700_000_000_001,
    };
    if (!thread.participants.includes(viewer)) return undefined;
    const folder = !thread.isGroup && this.messageRequests.has(id)
      ? "PENDING"
      : thread.folder ?? "INBOX";
    return { thread, folder, members: thread.participants.map((member) => this.#person(member)) };
  }

  #graphqlBatch(form: Record<string, string>, viewer: string): Response {
    let query: { doc_id?: unknown; query_params?: Record<string, unknown> } = {};
    try {
      query = JSON.parse(form.queries ?? "").o0 ?? {};
    } catch {
      // Answered as an unknown query below.
    }
    const params = query.query_params ?? {};
    if (form.batch_name === "MessengerGraphQLThreadFetcher") {
      const view = this.#view(String(params.id ?? ""), viewer);
      return raw(threadInfo(view));
    }
    if (params.includeSeqID === true) {
      this.#seq++;
      return raw(
        graphqlBatch({
          data: { viewer: { message_threads: { sync_sequence_id: String(this.#seq) } } },
        }),
      );
    }
    if (form.batch_name === "MessengerGraphQLThreadlistFetcher") {
      return raw(this.#threadList(viewer, params));
    }
    if (query.doc_id === "1498317363570230" && params.load_messages === 1) {
      const view = this.#view(String(params.id ?? ""), viewer);
      if (view === undefined) return raw(threadInfo(undefined));
      const before = typeof params.before === "number" ? params.before : undefined;
      return raw(threadHistory(view, Number(params.message_limit ?? 20), before));
    }
    if (query.doc_id === MESSAGE_QUERY_DOC_ID) {
      const ids = (params.thread_and_message_id ?? {}) as Record<string, unknown>;
      const view = this.#view(String(ids.thread_id ?? ""), viewer);
      return raw(threadMessage(view, String(ids.message_id ?? "")));
    }
    return raw(graphqlBatchError("Unknown query (fake)"));
  }

  /** The viewer's conversations in the asked folders (`tags`), newest first. */
  #threadList(viewer: string, params: Record<string, unknown>): string {
    const tags = Array.isArray(params.tags) ? params.tags.map(String) : [];
    const before = typeof params.before === "number" ? params.before : undefined;
    const views = [...this.threads.keys()]
      .map((id) => this.#view(id, viewer))
      .filter((view): view is ThreadView =>
        view !== undefined && (tags.length === 0 || tags.includes("") || tags.includes(view.folder))
      )
      .filter((view) => before === undefined || view.thread.updatedAt <= before)
      .sort((a, b) => b.thread.updatedAt - a.thread.updatedAt);
    const limit = Number(params.limit ?? 20);
    return threadList(views.slice(0, limit), views.length > limit, this.#seq);
  }

  /** People and Pages whose name contains the typed text, friends first. */
  #search(value: string): FakePerson[] {
    const wanted = value.trim().toLowerCase();
    if (wanted === "") return [];
    return [...this.people.values()]
      .filter((person) => person.id !== "0" && person.name.toLowerCase().includes(wanted))
      .sort((a, b) => Number(b.friend === true) - Number(a.friend === true));
  }

  /** MessengerGroupCreateMutation: a new group of the listed people (the account among them). */
  #graphql(form: Record<string, string>, viewer: string): Response {
    if (form.fb_api_req_friendly_name !== "MessengerGroupCreateMutation") {
      return plainJson(graphqlError("Unknown mutation (fake)", 1675030));
    }
    let input: {
      participants?: { fbid?: unknown }[];
      thread_settings?: { name?: unknown };
    } = {};
    try {
      input = JSON.parse(form.variables ?? "").input ?? {};
    } catch {
      return plainJson(graphqlError("Malformed variables (fake)", 1675030));
    }
    const participants = (input.participants ?? []).map((participant) => String(participant.fbid));
    if (!participants.includes(viewer) || participants.length < 3) {
      return plainJson(graphqlError("A group needs at least three people", 1675030));
    }
    const id = String(900_100 + this.#nextGroup++);
    const name = input.thread_settings?.name;
    const thread: FakeThread = {
      id,
      isGroup: true,
      participants,
      admins: [viewer],
      updatedAt: 1_700_000_200_000 + this.#nextGroup,
    };
    if (typeof name === "string" && name !== "") thread.name = name;
    this.threads.set(id, thread);
    return plainJson(groupCreated(id));
  }

  /** A group the viewer is in, or undefined. */
  #groupOf(id: string | undefined, viewer: string): FakeThread | undefined {
    const thread = this.threads.get(id ?? "");
    return thread?.isGroup === true && thread.participants.includes(viewer) ? thread : undefined;
  }

  /** addUserToGroup: a log:subscribe "message" naming `fbid:<user>` participants. */
  #addParticipants(form: Record<string, string>, viewer: string): Response {
    const thread = this.#groupOf(form.thread_fbid, viewer);
    if (thread === undefined) return notAMember();
    for (const [key, value] of Object.entries(form)) {
      if (!key.startsWith("log_message_data[added_participants]")) continue;
      const user = value.replace(/^fbid:/, "");
      if (!thread.participants.includes(user)) thread.participants.push(user);
    }
    return this.#send(form);
  }

  /** removeUserFromGroup: `uid` leaves `tid`. */
  #removeParticipant(form: Record<string, string>, viewer: string): Response {
    const thread = this.#groupOf(form.tid, viewer);
    if (thread === undefined || !thread.participants.includes(form.uid ?? "")) {
      return notAMember();
    }
    thread.participants = thread.participants.filter((member) => member !== form.uid);
    return fbJson({ __ar: 1, payload: null, lid: "7300000000000000004" });
  }

  /** setTitle: only groups the viewer is in can be renamed. */
  #rename(form: Record<string, string>, viewer: string): Response {
    const id = form.thread_id ?? form.thread_fbid;
    if (this.threads.get(id ?? "")?.isGroup === false) {
      return raw(
        facebookError(1545003, "Couldn't rename", "One-to-one conversations have no name."),
      );
    }
    const thread = this.#groupOf(id, viewer);
    if (thread === undefined) return notAMember();
    thread.name = form.thread_name ?? "";
    return fbJson({ __ar: 1, payload: { actions: [] }, lid: "7300000000000000005" });
  }

  /**
   * changeAdminStatus: `admin_ids[i]` become admins of `thread_fbid` (`add=true`) or no longer
   * are. Only an admin may (else 1976004, which fca names); a 1:1 chat has none (1357031).
   */
  #saveAdmins(form: Record<string, string>, viewer: string): Response {
    if (this.threads.get(form.thread_fbid ?? "")?.isGroup === false) {
      return raw(facebookError(NOT_A_GROUP, "Not a group", "This is not a group conversation."));
    }
    const thread = this.#groupOf(form.thread_fbid, viewer);
    if (thread === undefined || !(thread.admins ?? []).includes(viewer)) {
      return raw(
        facebookError(NOT_AN_ADMIN, "Not an admin", "Only admins can change who is an admin."),
      );
    }
    const add = form.add === "true";
    const targets = Object.entries(form)
      .filter(([key]) => /^admin_ids\[\d+\]$/.test(key))
      .map(([, id]) => id);
    const others = (thread.admins ?? []).filter((admin) => !targets.includes(admin));
    thread.admins = add ? [...others, ...targets] : others;
    const timestamp = Math.max(Date.now(), thread.updatedAt + 1);
    thread.updatedAt = timestamp;
    const deltas = targets.map((target) =>
      adminChangeDelta({
        actor: viewer,
        target,
        thread: thread.id,
        add,
        messageId: `mid.$fakeAdmin${this.#nextMessage++}`,
        timestamp,
      })
    );
    for (const member of thread.participants) this.publishDeltas(member, deltas);
    return fbJson({ __ar: 1, payload: null, lid: "7300000000000000006" });
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
        thumbSrc: avatarUrl(id),
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
    const headers: Record<string, string> = {};
    for (const [name, value] of request.headers) headers[name.toLowerCase()] = value;
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    const parser = new MqttParser();
    const connection: BrokerConnection = {
      socket,
      user: "",
      topics: new Set(),
      published: [],
      headers,
      silenced: false,
      pingsAnswered: 0,
    };
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
        if (this.silentBroker) return;
        send(encodePingresp());
        connection.pingsAnswered++;
        return;
      case "disconnect":
        connection.socket.close();
        return;
      default:
        return;
    }
  }
}

/** Where a checkpointed account is sent. */
function checkpointUrl(): string {
  return `https://www.facebook.com${CHECKPOINT_PATH}?next=https%3A%2F%2Fwww.facebook.com%2F`;
}

function loggedInRedirect(account: FakeAccount): Response {
  const headers = new Headers({ location: "https://www.facebook.com/" });
  headers.append("set-cookie", `c_user=${account.id}; path=/; domain=.facebook.com; secure`);
  headers.append("set-cookie", `xs=${account.xs}; path=/; domain=.facebook.com; secure; httponly`);
  return new Response(null, { status: 302, headers });
}

function notAMember(): Response {
  return raw(
    facebookError(NOT_A_MEMBER, "Not a member", "You are not a member of this conversation."),
  );
}

/** A body already in Facebook's wire form. */
function raw(body: string): Response {
  return new Response(body, {
    headers: { "content-type": "application/x-javascript; charset=utf-8" },
  });
}

/** GraphQL answers are plain JSON. */
function plainJson(body: string): Response {
  return new Response(body, { headers: { "content-type": "application/json" } });
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
