/**
 * Scripted XMPP users: @xmpp/client connections to a dev/prosody.ts server with a stanza buffer,
 * for the end-to-end tests and the demo's scripted conversation.
 *
 * Why a buffer: stanzas often arrive before the script gets around to waiting for them (a
 * reflected presence, a carbon, a gateway message). `waitFor` therefore looks at stanzas that
 * already arrived and were not consumed, then at new ones, so scripts never race the network.
 *
 * @module
 */

import { client } from "@xmpp/client";
import type { ProsodyServer } from "./prosody.ts";
import { xml, type XmlElement } from "./xml.ts";
import { within, withTimeout } from "./_util.ts";

export { xml } from "./xml.ts";
export type { XmlAttrs, XmlChild, XmlElement } from "./xml.ts";

/** Options for {@linkcode connectClient}. */
export interface ClientOptions {
  /** Resource to bind; default a random one chosen by the server. */
  resource?: string;
  /** Send initial presence after login (and after every automatic reconnect); default true. */
  presence?: boolean;
  /** Bound on the login; default 10 s. */
  timeoutMs?: number;
}

/** A logged-in test user. Dispose it (`await using`) so sockets and reconnect timers stop. */
export interface TestClient extends AsyncDisposable {
  /** Full JID bound by the server, e.g. `alice@localhost/res`. */
  readonly jid: string;
  /** Bare JID, e.g. `alice@localhost`. */
  readonly bareJid: string;
  /** Errors emitted by the connection so far (the listener keeps Deno from crashing on them). */
  readonly errors: readonly Error[];
  /** Send a stanza as is. */
  send(el: XmlElement): Promise<void>;
  /**
   * Write raw XML to the stream, as a client that escapes differently from xmpp.js would (e.g.
   * quotes left raw inside attributes). The text must be one well-formed stanza.
   */
  sendRaw(text: string): Promise<void>;
  /**
   * Send an iq (an `id` is added if missing) and resolve with the reply stanza, `type="result"` or
   * `type="error"` alike: tests assert on error replies, so they are not thrown. Rejects only on
   * timeout (default 5 s).
   */
  iq(el: XmlElement, timeoutMs?: number): Promise<XmlElement>;
  /**
   * Resolve with the first incoming stanza matching `predicate`, looking first at stanzas that
   * arrived earlier and were not consumed yet. The match is consumed. Rejects after `timeoutMs`
   * (default 5 s) with `description` and the unconsumed stanzas in the message.
   */
  waitFor(
    predicate: (stanza: XmlElement) => boolean,
    timeoutMs?: number,
    description?: string,
  ): Promise<XmlElement>;
  /** Snapshot of the stanzas received but not consumed (for debugging and "nothing arrived"). */
  pending(): XmlElement[];
  /** Drop all unconsumed stanzas (e.g. after setup chatter). */
  clearPending(): void;
  /**
   * Resolve when the client comes online again after a disconnect (automatic reconnect, e.g.
   * after `server.restart()`); call it before triggering the disconnect.
   */
  nextOnline(timeoutMs?: number): Promise<void>;
  /** Close the stream (bounded) and stop reconnecting. Idempotent. */
  close(): Promise<void>;
  /** Same as {@linkcode TestClient.close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Minimal typed view of the xmpp.js client object (the package ships no types). */
interface XmppClient {
  jid: { toString(): string; bare(): { toString(): string } } | null;
  status: string;
  reconnect: { delay: number };
  iqCallee: { set(ns: string, name: string, handler: () => boolean): void };
  on(event: "stanza", listener: (el: XmlElement) => void): void;
  on(event: "error", listener: (err: Error) => void): void;
  on(event: "online" | "offline" | "disconnect", listener: () => void): void;
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  send(el: XmlElement): Promise<void>;
  write(text: string): Promise<void>;
}

const createClient = client as unknown as (options: Record<string, unknown>) => XmppClient;

/** The empty `<privilege/>` message Prosody's mod_privilege sends every user on initial presence. */
function isEmptyPrivilegeMessage(s: XmlElement): boolean {
  if (!s.is("message")) return false;
  const children = s.getChildElements();
  return children.length === 1 && children[0].name === "privilege" &&
    (children[0].getNS() ?? "").startsWith("urn:xmpp:privilege:") &&
    children[0].getChildElements().length === 0;
}

function randomId(): string {
  return `e2e-${crypto.randomUUID()}`;
}

interface Waiter {
  predicate: (stanza: XmlElement) => boolean;
  resolve: (stanza: XmlElement) => void;
  reject: (err: Error) => void;
}

class TestClientImpl implements TestClient {
  readonly errors: Error[] = [];
  #buffer: XmlElement[] = [];
  #waiters = new Set<Waiter>();
  #iqs = new Map<string, Waiter>();
  #onlineWaiters = new Set<() => void>();
  #closed = false;
  #onlineCount = 0;
  /** Set once login finished; before that, replies to the library's own iqs (bind) are dropped. */
  ready = false;

  constructor(readonly xmpp: XmppClient, readonly presence: boolean) {
    xmpp.on("error", (err) => this.errors.push(err));
    xmpp.on("stanza", (s) => this.#onStanza(s));
    xmpp.on("online", () => {
      this.#onlineCount++;
      if (this.#onlineCount > 1 && this.presence) {
        // xmpp.js reconnects but does not re-send presence.
        xmpp.send(xml("presence")).catch((e) => this.errors.push(e));
      }
      for (const w of this.#onlineWaiters) w();
      this.#onlineWaiters.clear();
    });
    // A correct client acknowledges roster pushes (RFC 6121 §2.1.6); the push itself is buffered.
    xmpp.iqCallee.set("jabber:iq:roster", "query", () => true);
  }

  get jid(): string {
    return this.xmpp.jid?.toString() ?? "";
  }

  get bareJid(): string {
    return this.xmpp.jid?.bare().toString() ?? "";
  }

  #onStanza(s: XmlElement): void {
    if (isEmptyPrivilegeMessage(s)) return;
    const id = s.attrs.id;
    if (s.is("iq") && (s.attrs.type === "result" || s.attrs.type === "error")) {
      const w = id ? this.#iqs.get(id) : undefined;
      if (w && id) {
        this.#iqs.delete(id);
        w.resolve(s);
        return;
      }
      if (!this.ready) return;
    }
    for (const w of this.#waiters) {
      let matched = false;
      try {
        matched = w.predicate(s);
      } catch (e) {
        this.#waiters.delete(w);
        w.reject(e instanceof Error ? e : new Error(String(e)));
        continue;
      }
      if (matched) {
        this.#waiters.delete(w);
        w.resolve(s);
        return;
      }
    }
    this.#buffer.push(s);
  }

  async send(el: XmlElement): Promise<void> {
    await this.xmpp.send(el);
  }

  async sendRaw(text: string): Promise<void> {
    await this.xmpp.write(text);
  }

  iq(el: XmlElement, timeoutMs = 10_000): Promise<XmlElement> {
    if (!el.attrs.id) el.attrs.id = randomId();
    const id = el.attrs.id;
    return new Promise<XmlElement>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#iqs.delete(id);
        reject(new Error(`No reply to iq ${id} within ${timeoutMs} ms: ${el.toString()}`));
      }, timeoutMs);
      this.#iqs.set(id, {
        predicate: () => true,
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.xmpp.send(el).catch((e) => {
        const w = this.#iqs.get(id);
        this.#iqs.delete(id);
        w?.reject(e instanceof Error ? e : new Error(String(e)));
      });
    });
  }

  waitFor(
    predicate: (stanza: XmlElement) => boolean,
    timeoutMs = 10_000,
    description = "a matching stanza",
  ): Promise<XmlElement> {
    const index = this.#buffer.findIndex(predicate);
    if (index >= 0) return Promise.resolve(this.#buffer.splice(index, 1)[0]);
    if (this.#closed) return Promise.reject(new Error(`${this.jid} is closed`));
    return new Promise<XmlElement>((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        const seen = this.#buffer.slice(-10).map((s) => `  ${s.toString()}`).join("\n");
        reject(
          new Error(
            `${this.jid} waited ${timeoutMs} ms for ${description}; unconsumed stanzas (last 10):\n${
              seen || "  (none)"
            }`,
          ),
        );
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  pending(): XmlElement[] {
    return [...this.#buffer];
  }

  clearPending(): void {
    this.#buffer = [];
  }

  nextOnline(timeoutMs = 10_000): Promise<void> {
    let resolveFn: () => void = () => {};
    const p = new Promise<void>((resolve) => {
      resolveFn = resolve;
      this.#onlineWaiters.add(resolve);
    });
    return withTimeout(p, timeoutMs, `${this.jid} did not come back online within ${timeoutMs} ms`)
      .finally(() => this.#onlineWaiters.delete(resolveFn));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const err = new Error(`${this.jid} closed`);
    for (const w of this.#waiters) w.reject(err);
    for (const w of this.#iqs.values()) w.reject(err);
    this.#waiters.clear();
    this.#iqs.clear();
    // stop() also stops the reconnect module; bounded because a dead server never answers.
    await within(this.xmpp.stop().catch(() => {}), 3000);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Log `user@localhost` in to the test server over plain TCP (no TLS) and, by default, send initial
 * presence. Rejects (and cleans up) if login fails or takes longer than `opts.timeoutMs`.
 */
export async function connectClient(
  server: ProsodyServer,
  user: string,
  password: string,
  opts: ClientOptions = {},
): Promise<TestClient> {
  const xmpp = createClient({
    service: `xmpp://127.0.0.1:${server.c2sPort}`,
    domain: server.domain,
    username: user,
    password,
    resource: opts.resource,
  });
  // Quick automatic reconnects keep restart tests fast (the default is 1 s).
  xmpp.reconnect.delay = 200;
  const tc = new TestClientImpl(xmpp, opts.presence ?? true);
  const timeoutMs = opts.timeoutMs ?? 10_000;
  try {
    await withTimeout(
      xmpp.start(),
      timeoutMs,
      `${user}@${server.domain} could not log in within ${timeoutMs} ms`,
    );
    tc.ready = true;
    if (opts.presence ?? true) await xmpp.send(xml("presence"));
  } catch (e) {
    await tc.close();
    const message = e instanceof Error ? e.message : String(e);
    const others = tc.errors.map((err) => err.message).filter((m) => m !== message);
    throw new Error(
      `Login failed for ${user}@${server.domain}: ${message}${
        others.length ? ` (${others.join("; ")})` : ""
      }`,
      { cause: e },
    );
  }
  return tc;
}
