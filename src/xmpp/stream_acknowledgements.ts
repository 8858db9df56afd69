/**
 * Acknowledgements for the component stream, which XEP-0114 does not have: stanzas the gateway
 * wrote just before the connection dropped must not be lost.
 *
 * A stanza handed to the socket may still die in a kernel buffer or a dying TCP connection; the
 * protocol never tells. So every stanza written is kept until the server is known to have
 * processed it, and that is learnt with a *barrier*: an iq ping the component addresses to its
 * own domain. The server processes a stream in order, so when that iq comes back (routed to the
 * component, or answered with an error by a server that will not route it), everything written
 * before it has been handled. When the stream drops, what no barrier covered is written again,
 * first thing after the reconnection, byte for byte — same ids, so clients drop the copies of
 * what had arrived after all.
 *
 * The steady-state cost is one small iq per burst, not per stanza: the first stanza after a
 * confirmation arms a short timer (`barrierDelayMs`), a long burst sends one barrier every
 * `barrierEvery` stanzas, and at most one barrier is in flight. Nothing here awaits per stanza.
 *
 * @module
 */

import { xmppLog } from "../log.ts";
import { NS_PING } from "./namespaces.ts";
import { type Element, xml } from "./xml.ts";

/** Tuning of {@link StreamAcknowledgements}; the defaults suit production. */
export interface AcknowledgementSettings {
  /** How long after the first unconfirmed stanza a barrier goes out (ms); default 25. */
  barrierDelayMs?: number;
  /** A barrier goes out at once when this many stanzas are unconfirmed; default 200. */
  barrierEvery?: number;
  /**
   * A barrier not answered within this time (ms; default 60 s) is given up: what it covered is
   * no longer kept (it was most likely processed by a server that is merely slow), so a server
   * that never routes the barrier costs neither memory nor a flood of copies after a reconnect.
   */
  barrierTimeoutMs?: number;
  /** At most this many stanzas are kept for re-sending (the oldest go first); default 50,000. */
  maxStanzas?: number;
  /** At most this many characters (of serialized XML) are kept for re-sending; default 64 Mi. */
  maxChars?: number;
}

/** What {@link StreamAcknowledgements} needs from the connection. */
export interface AcknowledgementOptions extends AcknowledgementSettings {
  /** The component's domain: barriers go from it, to it. */
  domain: string;
  /** Writes serialized XML to the current stream; rejects when it cannot. */
  write: (text: string) => Promise<void>;
  /** Called after the server confirmed stanzas (what waits for a quieter stream may go on). */
  onConfirmed?: () => void;
}

/** One stanza written and not yet known to be processed. */
interface Unconfirmed {
  seq: number;
  text: string;
}

const BARRIER_PREFIX = "mg-barrier-";

/** Keeps what the server has not confirmed, and writes it again after a reconnection. */
export class StreamAcknowledgements {
  readonly #options: Required<AcknowledgementOptions>;
  #entries: Unconfirmed[] = [];
  #head = 0;
  #chars = 0;
  #nextSeq = 1;
  /** The barrier in flight: its id and the last stanza it covers. */
  #barrier: { id: string; seq: number; timer: ReturnType<typeof setTimeout> } | undefined;
  #delayTimer: ReturnType<typeof setTimeout> | undefined;
  #barriers = 0;
  #up = false;
  /** Stanzas dropped from the ledger since it was last empty (logged once per episode). */
  #overflowed = 0;
  readonly #prefix = `${BARRIER_PREFIX}${crypto.randomUUID().slice(0, 8)}-`;

  constructor(options: AcknowledgementOptions) {
    this.#options = {
      barrierDelayMs: 25,
      barrierEvery: 200,
      barrierTimeoutMs: 60_000,
      maxStanzas: 50_000,
      maxChars: 64 * 1024 * 1024,
      onConfirmed: () => {},
      ...options,
    };
  }

  /** Stanzas written and not yet confirmed by the server. */
  get unconfirmed(): number {
    return this.#entries.length - this.#head;
  }

  /**
   * Records a stanza about to be written (before the write, so a drop during it is covered);
   * returns a handle for {@link writeFailed}.
   */
  written(text: string): object {
    const entry: Unconfirmed = { seq: this.#nextSeq++, text };
    this.#entries.push(entry);
    this.#chars += text.length;
    this.#bound();
    this.#schedule();
    return entry;
  }

  /** Forgets a stanza whose write failed: the caller was told and sends it again itself. */
  writeFailed(handle: object): void {
    const index = this.#entries.indexOf(handle as Unconfirmed, this.#head);
    if (index < 0) return;
    this.#entries.splice(index, 1);
    this.#chars -= (handle as Unconfirmed).text.length;
  }

  /**
   * Looks at an incoming stanza: true (consumed) when it is the echo of, or the server's answer
   * to, one of our barriers. Only the component's own domain can send those: users cannot fake
   * a confirmation.
   */
  handle(stanza: Element): boolean {
    const id = stanza.attrs.id;
    if (stanza.name !== "iq" || !id?.startsWith(BARRIER_PREFIX)) return false;
    if (stanza.attrs.from !== this.#options.domain) return false;
    const barrier = this.#barrier;
    if (barrier?.id === id) {
      clearTimeout(barrier.timer);
      this.#barrier = undefined;
      this.#confirm(barrier.seq);
      this.#schedule();
    }
    return true;
  }

  /**
   * The stream is (again) up: writes everything unconfirmed, oldest first, before anything else
   * can be sent, then a barrier after it.
   */
  streamUp(): void {
    this.#up = true;
    const count = this.unconfirmed;
    if (count === 0) return;
    for (let i = this.#head; i < this.#entries.length; i++) {
      // Not awaited: the socket keeps the order. A failure means the stream dropped again, and
      // the entry, still unconfirmed, is written after the next reconnection.
      this.#options.write(this.#entries[i].text).catch(() => {});
    }
    xmppLog.info("Re-sent {count} stanzas the XMPP server had not confirmed before the drop", {
      count,
    });
    this.#sendBarrier();
  }

  /**
   * Asks for a confirmation now rather than after `barrierDelayMs`, for a writer that waits for
   * one (yielding_sender.ts); nothing when a barrier is in flight or nothing awaits confirmation.
   */
  confirmSoon(): void {
    if (this.#up && this.#barrier === undefined && this.unconfirmed > 0) this.#sendBarrier();
  }

  /** The stream dropped: the barrier in flight will never be answered. */
  streamDown(): void {
    this.#up = false;
    this.#cancelTimers();
  }

  /** Stops the timers (the connection is stopping). */
  close(): void {
    this.streamDown();
  }

  #schedule(): void {
    if (!this.#up || this.#barrier !== undefined || this.unconfirmed === 0) return;
    if (this.unconfirmed >= this.#options.barrierEvery) {
      this.#sendBarrier();
      return;
    }
    if (this.#delayTimer !== undefined) return;
    this.#delayTimer = setTimeout(() => {
      this.#delayTimer = undefined;
      if (this.#barrier === undefined && this.#up && this.unconfirmed > 0) this.#sendBarrier();
    }, this.#options.barrierDelayMs);
  }

  #sendBarrier(): void {
    clearTimeout(this.#delayTimer);
    this.#delayTimer = undefined;
    const id = `${this.#prefix}${++this.#barriers}`;
    const seq = this.#nextSeq - 1;
    const timer = setTimeout(() => this.#timedOut(id), this.#options.barrierTimeoutMs);
    this.#barrier = { id, seq, timer };
    const domain = this.#options.domain;
    const iq = xml(
      "iq",
      { type: "get", from: domain, to: domain, id },
      xml("ping", {
        xmlns: NS_PING,
      }),
    );
    this.#options.write(iq.toString()).catch(() => {});
  }

  #timedOut(id: string): void {
    const barrier = this.#barrier;
    if (barrier?.id !== id) return;
    this.#barrier = undefined;
    xmppLog.warn(
      "The XMPP server did not confirm the gateway's stanzas within {seconds} s; {count} of " +
        "them would not be re-sent if the connection dropped now",
      {
        seconds: Math.round(this.#options.barrierTimeoutMs / 1000),
        count: this.#countUpTo(barrier.seq),
      },
    );
    this.#confirm(barrier.seq);
    this.#schedule();
  }

  #countUpTo(seq: number): number {
    let count = 0;
    for (let i = this.#head; i < this.#entries.length && this.#entries[i].seq <= seq; i++) count++;
    return count;
  }

  #confirm(seq: number): void {
    while (this.#head < this.#entries.length && this.#entries[this.#head].seq <= seq) {
      this.#chars -= this.#entries[this.#head].text.length;
      this.#head++;
    }
    this.#compact();
    if (this.unconfirmed === 0) this.#overflowed = 0;
    this.#options.onConfirmed();
  }

  /** Keeps the ledger within its bounds, dropping the oldest entries (logged once per episode). */
  #bound(): void {
    const { maxStanzas, maxChars } = this.#options;
    let dropped = 0;
    while (
      this.unconfirmed > 1 && (this.unconfirmed > maxStanzas || this.#chars > maxChars)
    ) {
      this.#chars -= this.#entries[this.#head].text.length;
      this.#head++;
      dropped++;
    }
    if (dropped === 0) return;
    if (this.#overflowed === 0) {
      xmppLog.warn(
        "More stanzas await the XMPP server's confirmation than the gateway keeps; the oldest " +
          "would not be re-sent if the connection dropped now",
      );
    }
    this.#overflowed += dropped;
    this.#compact();
  }

  #compact(): void {
    if (this.#head === this.#entries.length) {
      this.#entries = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  #cancelTimers(): void {
    clearTimeout(this.#delayTimer);
    this.#delayTimer = undefined;
    if (this.#barrier !== undefined) clearTimeout(this.#barrier.timer);
    this.#barrier = undefined;
  }
}
