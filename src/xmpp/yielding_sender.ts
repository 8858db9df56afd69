/**
 * Stanzas that must go out but may wait for everyone else's: the error replies to a flooding
 * user's refused messages (message_rate_limit.ts). Written at once, thousands of them would sit
 * in the XMPP server's queue ahead of other users' messages, and the server — which processes the
 * component stream in order — would deliver those only after the whole pile: one user's flood
 * would slow everyone (issue 12, fault 5).
 *
 * So they are written only while the server has few of the gateway's stanzas left to process
 * (the stream acknowledgements' count, stream_acknowledgements.ts), a handful at a time, taking
 * turns between recipients; anything else the gateway sends meanwhile goes straight ahead of them.
 * While the stream is down they wait for it. Nothing is dropped unless more than `maxQueued` wait
 * (a flood far beyond any client's), and that is logged.
 *
 * @module
 */

import { xmppLog } from "../log.ts";
import { LogThrottle } from "../log_throttle.ts";
import type { Element } from "./xml.ts";

/** What the lane needs of the component connection. */
export interface YieldingConnection {
  /** Writes a stanza now. */
  send(stanza: Element): Promise<unknown> | unknown;
  /** Stanzas written that the server has not confirmed yet. */
  readonly unconfirmed: number;
  /** Calls `listener` whenever the server confirmed stanzas. */
  onConfirmed(listener: () => void): void;
  /** Asks for the next confirmation without delay (the lane waits for it). */
  confirmSoon(): void;
  /** True while the stream is up; while it is down the lane waits. */
  readonly online: boolean;
  /** Calls `listener` each time the stream is (again) up. */
  onOnline(listener: () => void): void;
}

/** Options of {@link YieldingSender}. */
export interface YieldingSenderOptions {
  /** Written only while fewer than this many stanzas await the server; default 25. */
  maxInFlight?: number;
  /** At most this many wait (default 50,000); beyond that new ones are dropped, and logged. */
  maxQueued?: number;
}

/** Sends stanzas that yield to all other traffic; see the module documentation. */
export class YieldingSender {
  readonly #connection: YieldingConnection;
  readonly #maxInFlight: number;
  readonly #maxQueued: number;
  /** Waiting stanzas per recipient; a Map keeps the recipients' turn order. */
  readonly #queues = new Map<string, Element[]>();
  #queued = 0;
  readonly #throttle = new LogThrottle();

  constructor(connection: YieldingConnection, options: YieldingSenderOptions = {}) {
    this.#connection = connection;
    this.#maxInFlight = options.maxInFlight ?? 25;
    this.#maxQueued = options.maxQueued ?? 50_000;
    connection.onConfirmed(() => this.#drain());
    connection.onOnline(() => this.#drain());
  }

  /** Stanzas waiting. */
  get queued(): number {
    return this.#queued;
  }

  /** Queues `stanza` behind everything else; it goes out when the stream is not busy. */
  send(stanza: Element): void {
    if (this.#queued >= this.#maxQueued) {
      this.#throttle.line("full", (repeats) =>
        xmppLog.warn(
          "Dropped a reply to {to}: {count} replies already wait for the XMPP server{repeated}",
          {
            to: stanza.attrs.to ?? "",
            count: this.#queued,
            repeated: this.#throttle.note(repeats),
          },
        ));
      return;
    }
    const to = stanza.attrs.to ?? "";
    const queue = this.#queues.get(to);
    if (queue) queue.push(stanza);
    else this.#queues.set(to, [stanza]);
    this.#queued++;
    this.#drain();
  }

  /** Writes, one recipient after the other, while the server is not busy. */
  #drain(): void {
    const connection = this.#connection;
    while (this.#queued > 0 && connection.online && connection.unconfirmed < this.#maxInFlight) {
      const [to, queue] = this.#queues.entries().next().value!;
      const stanza = queue.shift()!;
      this.#queues.delete(to);
      // To the back of the line: the next recipient's turn.
      if (queue.length > 0) this.#queues.set(to, queue);
      this.#queued--;
      void connection.send(stanza);
    }
    // The lane moves on at the pace the server confirms: ask at once rather than after a delay.
    if (this.#queued > 0 && connection.online) connection.confirmSoon();
  }
}
