/**
 * The XEP-0114 connection to the XMPP server, over @xmpp/component-core and @xmpp/reconnect.
 *
 * What the library does not do and admins need: reconnect with growing delays (instead of every
 * second), and give up with a clear explanation when the server says the secret is wrong
 * (`not-authorized`) or another instance already holds the domain (`conflict`) — the library
 * would retry those forever; acknowledgements, so that what was written just before a drop is
 * written again after the reconnection (stream_acknowledgements.ts); and a cap on the size of
 * what is written, since a server closes the whole stream on a stanza above its own limit.
 * Incoming stanzas are handed to one callback; nothing here knows what they mean.
 *
 * @module
 */

import { Component } from "@xmpp/component-core";
import createReconnect from "@xmpp/reconnect";
import { createHash } from "node:crypto";
import { xmppLog } from "../log.ts";
import { DEFAULT_MAX_STANZA_BYTES, fitsIn, utf8Length } from "./stanza_size.ts";
import { type AcknowledgementSettings, StreamAcknowledgements } from "./stream_acknowledgements.ts";
import { type Element, xml } from "./xml.ts";

/** Why the connection gave up for good; the message is one line for the admin. */
export class FatalConnectionError extends Error {
  override name = "FatalConnectionError";
  constructor(readonly condition: string, message: string) {
    super(message);
  }
}

/** Where and how to connect. */
export interface ComponentConnectionOptions {
  domain: string;
  secret: string;
  server: string;
  port: number;
  /** First reconnect delay (ms); doubles up to {@link maxDelayMs}. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /**
   * After having been online, how long `conflict` answers are retried before giving up (ms;
   * default 10 min): the server may still hold the previous connection after a network blip.
   */
  conflictRetryMs?: number;
  /**
   * The largest stanza written (bytes; default {@link DEFAULT_MAX_STANZA_BYTES}): anything larger
   * is refused and logged, never sent, because the server would close the stream over it.
   */
  maxStanzaBytes?: number;
  /** Tuning of the acknowledgements (tests make them fast). */
  acknowledgements?: AcknowledgementSettings;
}

interface UntypedEntity {
  status: string;
  options: { service: string; domain: string };
  on(event: string, listener: (...args: unknown[]) => void): void;
  removeAllListeners(event?: string): void;
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
  send(element: Element): Promise<void>;
  write(text: string): Promise<void>;
  sendReceive(element: Element): Promise<Element>;
  authenticate(id: string, password: string): Promise<void>;
  _jid(domain: string): void;
  _status(status: string, ...args: unknown[]): void;
}

interface UntypedReconnect {
  delay: number;
  stop(): void;
  on(event: string, listener: () => void): void;
}

const FATAL_CONDITIONS: Record<string, string> = {
  "not-authorized": "the XMPP server refused the component secret (component.secret or " +
    "MESSENGER_GATEWAY_SECRET must equal the server's component_secret)",
  "conflict": "another component is already connected to the XMPP server with this domain " +
    "(is a second gateway running?)",
  "host-unknown": "the XMPP server has no component configured for this domain " +
    "(check component.jid against the server's Component entry)",
  "improper-addressing": "the XMPP server does not accept this component domain",
};

/** A component connection that stays up until {@link stop}, or fails for good. */
export class ComponentConnection {
  #entity: UntypedEntity;
  #reconnect: UntypedReconnect;
  #options: Required<Omit<ComponentConnectionOptions, "acknowledgements">>;
  #acks: StreamAcknowledgements;
  #attempt = 0;
  #stopping = false;
  #wasOnline = false;
  /** Online at least once since start: a later `conflict` may be our own stale connection. */
  #everOnline = false;
  /** When the current run of `conflict` answers (after having been online) began. */
  #conflictsSince: number | undefined;
  #fatal: ((error: FatalConnectionError) => void) | undefined;
  #onlineListeners: (() => void)[] = [];
  #onlineWaiters = new Set<(online: boolean) => void>();
  #offlineListeners: (() => void)[] = [];
  #stanzaListener: ((stanza: Element) => void) | undefined;
  #confirmedListeners: (() => void)[] = [];
  /** Resolves when the connection gave up for good. */
  readonly failed: Promise<FatalConnectionError>;

  constructor(options: ComponentConnectionOptions) {
    this.#options = {
      initialDelayMs: 1000,
      maxDelayMs: 60_000,
      conflictRetryMs: 10 * 60_000,
      maxStanzaBytes: DEFAULT_MAX_STANZA_BYTES,
      ...options,
    };
    this.failed = new Promise((resolve) => (this.#fatal = resolve));
    const entity = new Component({
      service: `xmpp://${options.server}:${options.port}`,
      domain: options.domain,
    }) as unknown as UntypedEntity;
    this.#entity = entity;
    this.#acks = new StreamAcknowledgements({
      ...options.acknowledgements,
      domain: options.domain,
      write: (text) => entity.write(text),
      onConfirmed: () => {
        for (const listener of this.#confirmedListeners) listener();
      },
    });
    // Registered before the reconnect module's own listener, so the delay it reads is fresh.
    entity.on("disconnect", () => {
      this.#acks.streamDown();
      if (this.#stopping) return;
      this.#attempt++;
      const base = Math.min(
        this.#options.initialDelayMs * 2 ** Math.min(this.#attempt - 1, 16),
        this.#options.maxDelayMs,
      );
      this.#reconnect.delay = Math.round(base * (0.8 + Math.random() * 0.4));
      const wasOnline = this.#wasOnline;
      this.#wasOnline = false;
      xmppLog.warn(
        wasOnline
          ? "Disconnected from the XMPP server; reconnecting in {seconds} s"
          : "Cannot reach the XMPP server at {server}:{port}; retrying in {seconds} s",
        {
          server: this.#options.server,
          port: this.#options.port,
          seconds: (this.#reconnect.delay / 1000).toFixed(1),
        },
      );
      for (const listener of this.#offlineListeners) listener();
    });
    this.#reconnect = createReconnect({ entity }) as unknown as UntypedReconnect;
    this.#reconnect.delay = this.#options.initialDelayMs;

    entity.on("open", (el) => void this.#authenticate(el as Element));
    entity.on("error", (error) => this.#onError(error));
    entity.on("online", () => {
      // No setNoDelay(true) here: with Deno 2.9.6's node:net it held every write ~25 ms (1:1 p50
      // 27 ms instead of 0.8 ms in bench/message_path.ts), and the flood fairness of
      // bench/fairness.ts was the same without it (4.07 against 3.5–4.1).
      this.#attempt = 0;
      this.#wasOnline = true;
      this.#everOnline = true;
      this.#conflictsSince = undefined;
      this.#reconnect.delay = this.#options.initialDelayMs;
      xmppLog.info("Component online as {domain} via {server}:{port}", {
        domain: options.domain,
        server: options.server,
        port: options.port,
      });
      // First of all, what the server had not confirmed before the drop: ahead of anything new.
      this.#acks.streamUp();
      for (const listener of this.#onlineListeners) listener();
      for (const wake of [...this.#onlineWaiters]) wake(true);
    });
    entity.on("stanza", (stanza) => {
      if (!this.#acks.handle(stanza as Element)) this.#stanzaListener?.(stanza as Element);
    });
  }

  /** Calls `listener` for every incoming stanza (message, presence, iq). One listener. */
  onStanza(listener: (stanza: Element) => void): void {
    this.#stanzaListener = listener;
  }

  /** Calls `listener` each time the component is (again) online. */
  onOnline(listener: () => void): void {
    this.#onlineListeners.push(listener);
  }

  /** Calls `listener` each time the connection drops (before reconnecting). */
  onOffline(listener: () => void): void {
    this.#offlineListeners.push(listener);
  }

  /** Resolves true once online (at once when it is), false after `timeoutMs` or on stop. */
  whenOnline(timeoutMs: number): Promise<boolean> {
    if (this.online) return Promise.resolve(true);
    if (this.#stopping) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (online: boolean) => {
        clearTimeout(timer);
        this.#onlineWaiters.delete(done);
        resolve(online);
      };
      const timer = setTimeout(() => done(false), timeoutMs);
      this.#onlineWaiters.add(done);
    });
  }

  /** Asks the server to confirm what was written without the usual short delay. */
  confirmSoon(): void {
    this.#acks.confirmSoon();
  }

  /** Calls `listener` each time the server confirmed stanzas ({@link unconfirmed} went down). */
  onConfirmed(listener: () => void): void {
    this.#confirmedListeners.push(listener);
  }

  /** Stanzas written and not yet confirmed by the server (they would be sent again on a drop). */
  get unconfirmed(): number {
    return this.#acks.unconfirmed;
  }

  /** True while the stream is authenticated and usable. */
  get online(): boolean {
    return this.#entity.status === "online";
  }

  /** Connects; retries in the background when the server is not there yet. */
  start(): void {
    this.#entity.start().catch((error) => {
      xmppLog.debug("First connection attempt failed: {error}", { error: describe(error) });
    });
  }

  /**
   * Sends a stanza; false (and a log line) when the connection is down, or when the stanza is
   * larger than `maxStanzaBytes` (an error line: it is never sent). Never throws. Once written,
   * a stanza is written again after a reconnection unless the server confirmed it first.
   */
  async send(stanza: Element): Promise<boolean> {
    return (await this.sendAll([stanza])) === 1;
  }

  /**
   * Sends stanzas in order in one write (a page of archived messages and the answer after it):
   * one TCP segment instead of a burst of small ones, which the socket holds back while the first
   * is unacknowledged (Nagle's algorithm against the server's delayed ACK costs tens of ms per
   * burst). Resolves with how many were sent: a stanza too large is left out (and logged, as by
   * {@link send}); none when the connection is down. Never throws.
   */
  async sendAll(stanzas: readonly Element[]): Promise<number> {
    if (!this.online) {
      for (const stanza of stanzas) {
        xmppLog.debug("Not sending {name} to {to}: offline", {
          name: stanza.name,
          to: stanza.attrs.to,
        });
      }
      return 0;
    }
    const texts: string[] = [];
    for (const stanza of stanzas) {
      const text = stanza.toString();
      if (this.#fits(stanza, text)) texts.push(text);
    }
    if (texts.length === 0) return 0;
    const handles = texts.map((text) => this.#acks.written(text));
    try {
      await this.#entity.write(texts.length === 1 ? texts[0] : texts.join(""));
      return texts.length;
    } catch (error) {
      for (const handle of handles) this.#acks.writeFailed(handle);
      xmppLog.warn("Could not send {count} stanza(s), the first a {name} to {to}: {error}", {
        count: texts.length,
        name: stanzas[0].name,
        to: stanzas[0].attrs.to,
        error: describe(error),
      });
      return 0;
    }
  }

  #fits(stanza: Element, text: string): boolean {
    const max = this.#options.maxStanzaBytes;
    if (fitsIn(text, max)) return true;
    xmppLog.error(
      "Refused to send a {name} of {size} bytes to {to} (id {id}): larger than " +
        "component.max_stanza_size ({max} bytes), the XMPP server would close the connection",
      {
        name: stanza.name,
        size: utf8Length(text),
        to: stanza.attrs.to ?? "",
        id: stanza.attrs.id ?? "",
        max,
      },
    );
    return false;
  }

  /** Closes the stream cleanly and stops reconnecting. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#acks.close();
    for (const wake of [...this.#onlineWaiters]) wake(false);
    this.#reconnect.stop();
    try {
      await withTimeout(this.#entity.stop(), 3000);
    } catch (error) {
      xmppLog.debug("Closing the stream: {error}", { error: describe(error) });
    }
  }

  async #authenticate(open: Element): Promise<void> {
    try {
      // XEP-0114 §3: SHA-1 of stream id + secret. Done here (not by the library) so that a
      // refused handshake is reported once and clearly, without the secret in any message.
      const id = open.attrs.id ?? "";
      const digest = createHash("sha1").update(id + this.#options.secret, "binary").digest("hex");
      const answer = await this.#entity.sendReceive(xml("handshake", {}, digest));
      if (answer.name !== "handshake") throw new Error(`unexpected <${answer.name}/> reply`);
      this.#entity._jid(this.#options.domain);
      this.#entity._status("online", this.#options.domain);
    } catch (error) {
      this.#onError(error);
    }
  }

  #onError(error: unknown): void {
    const condition = (error as { condition?: unknown })?.condition;
    if (condition === "conflict" && this.#everOnline) {
      // After a network blip the server may still hold our previous, half-open connection until
      // it times out: a reconnect is refused meanwhile. Not fatal unless it lasts.
      const now = Date.now();
      this.#conflictsSince ??= now;
      if (now - this.#conflictsSince < this.#options.conflictRetryMs) {
        xmppLog.warn(
          "The XMPP server still holds a connection for {domain} (our previous one?): retrying",
          { domain: this.#options.domain },
        );
        return;
      }
    }
    if (typeof condition === "string" && condition in FATAL_CONDITIONS) {
      this.#giveUp(condition);
      return;
    }
    const code = (error as { code?: unknown })?.code;
    if (code === "ECONNREFUSED" || code === "ECONNRESET" || code === "EPIPE") {
      xmppLog.debug("Connection error: {code}", { code });
      return;
    }
    xmppLog.warn("XMPP connection error: {error}", { error: describe(error) });
  }

  #giveUp(condition: string): void {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#acks.close();
    this.#reconnect.stop();
    const error = new FatalConnectionError(
      condition,
      `Cannot connect as ${this.#options.domain}: ${FATAL_CONDITIONS[condition]}`,
    );
    xmppLog.error(error.message);
    void withTimeout(this.#entity.stop(), 3000).catch(() => {}).finally(() => this.#fatal?.(error));
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
