/**
 * One user's flood must not slow everyone (issue 12, fault 5): a token bucket per sender for the
 * messages they address to the gateway (contacts, rooms, the gateway itself), checked as each
 * stanza arrives, before anything parses or queues it. A user may send `burst` messages at once
 * and `perSecond` after that, far more than anyone types; beyond that a message is answered at
 * once with `resource-constraint` (type `wait`) and a sentence asking to slow down, and costs the
 * gateway nothing more: no parsing, no queue, no Messenger call, and a log line only once per
 * window (with the count of the others).
 *
 * Iqs and presences are not limited here: every iq must get its own answer, and a presence flood
 * is answered by nothing.
 *
 * @module
 */

import { xmppLog } from "../log.ts";
import { LogThrottle } from "../log_throttle.ts";
import { isOwnInjectedCopy } from "./privileged_carbon.ts";
import { StanzaError } from "./stanza_error.ts";
import { type Element, xml } from "./xml.ts";

/** How fast one user may send (`messages.rate_limit` and `messages.rate_burst`). */
export interface MessageRateSettings {
  /** Messages per second, sustained; 0 turns the limit off. */
  perSecond: number;
  /** Messages at once before `perSecond` applies. */
  burst: number;
}

/** Token buckets by key, refilled continuously; buckets that are full again are forgotten. */
export class TokenBuckets {
  readonly #perMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  /** Past this many buckets, full ones are dropped (they hold nothing worth keeping). */
  readonly #pruneAt: number;

  constructor(
    settings: MessageRateSettings,
    now: () => number = performance.now.bind(performance),
  ) {
    this.#perMs = settings.perSecond / 1000;
    this.#burst = Math.max(1, settings.burst);
    this.#now = now;
    this.#pruneAt = 10_000;
  }

  /** Takes one token of `key`'s bucket; false when it is empty. */
  take(key: string): boolean {
    const now = this.#now();
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.#pruneAt) this.#prune(now);
      bucket = { tokens: this.#burst, at: now };
      this.#buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#perMs);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Buckets currently kept (for tests). */
  get size(): number {
    return this.#buckets.size;
  }

  #prune(now: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + (now - bucket.at) * this.#perMs >= this.#burst) {
        this.#buckets.delete(key);
      }
    }
  }
}

/** What {@link messageRateLimit} needs. */
export interface MessageRateLimitOptions {
  /** The component's domain: messages to it and to `…@domain` are counted. */
  domain: string;
  settings: MessageRateSettings;
  /** Writes the error reply. */
  send: (stanza: Element) => unknown;
  /** Rate-limits the refusal lines (one per sender per window, then the count). */
  throttle?: LogThrottle;
  /** The clock of the buckets (ms); tests give a fake one. */
  now?: () => number;
}

/**
 * Returns the entry check: true when the stanza may go on to the router, false when it was a
 * message over its sender's limit (already answered with an error).
 */
export function messageRateLimit(options: MessageRateLimitOptions): (stanza: Element) => boolean {
  const { perSecond, burst } = options.settings;
  if (perSecond <= 0) return () => true;
  const buckets = new TokenBuckets(options.settings, options.now);
  const throttle = options.throttle ?? new LogThrottle();
  const text =
    `You are sending messages faster than the gateway passes them on (at most ${burst} ` +
    `at once, then ${perSecond} per second): please slow down. This message was not sent`;
  const refusal = new StanzaError("resource-constraint", text, "wait");
  return (stanza) => {
    if (stanza.name !== "message" || stanza.attrs.type === "error") return true;
    const to = stanza.attrs.to;
    if (!to || domainOf(to) !== options.domain) return true;
    const from = stanza.attrs.from;
    if (!from) return true;
    const sender = bareOf(from);
    if (buckets.take(sender)) return true;
    // A copy the gateway itself injected, routed back by the server, is dropped by the handler
    // anyway: over the limit it is dropped here, unanswered (the user sent nothing).
    if (isOwnInjectedCopy(stanza, options.domain)) return false;
    // Only the id comes back: cheap to build, and nothing of the flood is sent again.
    void options.send(
      xml(
        "message",
        { type: "error", from: to, to: from, id: stanza.attrs.id },
        refusal.toElement(),
      ),
    );
    throttle.line(`rate:${sender}`, (repeats) =>
      xmppLog.warn(
        "Refused a message from {sender}: over the rate limit ({perSecond} per second, {burst} " +
          "at once){repeated}",
        { sender, perSecond, burst, repeated: throttle.note(repeats) },
      ));
    return false;
  };
}

function bareOf(jid: string): string {
  const slash = jid.indexOf("/");
  return (slash < 0 ? jid : jid.slice(0, slash)).toLowerCase();
}

function domainOf(jid: string): string {
  const slash = jid.indexOf("/");
  const bare = slash < 0 ? jid : jid.slice(0, slash);
  return bare.slice(bare.indexOf("@") + 1).toLowerCase();
}
