/**
 * The ordered event stream of one simulated session.
 *
 * Events are handed to the handlers asynchronously (never inside the call that caused them), in
 * the order they happened, only while the session listens. Like the real listener it drops
 * duplicates (a message id seen before) and holds events while the connection is briefly down.
 *
 * @module
 */

import { messengerLog } from "../../log.ts";
import type { RemoteEvent } from "../events.ts";
import type { EventHandler } from "../session.ts";
import type { WorkTracker } from "./work_tracker.ts";

/** How many message ids a session remembers for dropping duplicates. */
const REMEMBERED_MESSAGE_IDS = 10_000;

/** Where a stream is in its life. */
type StreamPhase =
  /** Not listening yet: events are dropped, as Messenger sends nothing to a client not listening. */
  | "idle"
  | "delivering"
  /** Connection briefly down: events are held for later. */
  | "held"
  /** Connected but silently dead: events are lost (the `silent` fault). */
  | "silenced"
  /** Finished: nothing more is accepted (what is queued still goes out). */
  | "ended";

/** Queues and delivers one session's events. */
export class SessionEventStream {
  readonly #handlers = new Set<EventHandler>();
  #phase: StreamPhase = "idle";
  #queue: RemoteEvent[] = [];
  #held: RemoteEvent[] = [];
  #drainScheduled = false;
  readonly #seenMessageIds = new Set<string>();
  /**
   * The same ids in arrival order, a ring: forgetting the oldest through the Set's own order would
   * make V8 skip every earlier deletion's hole, each time (a tenth of the gateway's time in the
   * message benchmark).
   */
  readonly #seenOrder: string[] = [];
  #seenNext = 0;

  constructor(private readonly tracker: WorkTracker) {}

  /** Adds a handler; returns a function removing it. */
  subscribe(handler: EventHandler): () => void {
    this.#handlers.add(handler);
    return () => {
      this.#handlers.delete(handler);
    };
  }

  /** Starts delivering (the session listens). */
  start(): void {
    if (this.#phase === "idle") this.#phase = "delivering";
  }

  /** Holds events from now on (the connection dropped; a reconnection ends any silence). */
  hold(): void {
    if (this.#phase === "delivering" || this.#phase === "silenced") this.#phase = "held";
  }

  /** Loses every event from now on while seeming connected, until {@link unsilence}. */
  silence(): void {
    if (this.#phase === "delivering") this.#phase = "silenced";
  }

  /** Delivers again after {@link silence} (what was lost stays lost). */
  unsilence(): void {
    if (this.#phase === "silenced") this.#phase = "delivering";
  }

  /** Delivers `first`, then the held events unless `dropHeld` (the connection is back). */
  resume(first: RemoteEvent, dropHeld: boolean): void {
    if (this.#phase !== "held") return;
    this.#phase = "delivering";
    const held = this.#held;
    this.#held = [];
    this.push(first);
    if (!dropHeld) { for (const event of held) this.#enqueue(event); }
  }

  /**
   * Accepts nothing more after `last` (delivered even while held, unless the session never
   * listened); what is queued is still delivered unless `discardQueued`.
   */
  end(discardQueued: boolean, last?: RemoteEvent): void {
    const wasListening = this.#phase === "delivering" || this.#phase === "held";
    this.#phase = "ended";
    this.#held = [];
    if (discardQueued) this.#queue = [];
    if (last !== undefined && wasListening) this.#enqueue(last);
  }

  /** Offers an event to the stream. */
  push(event: RemoteEvent): void {
    if (this.#phase === "held") this.#held.push(event);
    else if (this.#phase === "delivering") this.#enqueue(event);
    else if (this.#phase === "silenced") {
      messengerLog.debug("A silenced session lost a {type} event", { type: event.type });
    }
  }

  #enqueue(event: RemoteEvent): void {
    if (event.type === "message") {
      if (this.#seenMessageIds.has(event.id)) {
        messengerLog.debug("Dropped duplicate message {id}", { id: event.id });
        return;
      }
      // Grows to its bound first (a session that sees few messages holds a small array).
      if (this.#seenOrder.length < REMEMBERED_MESSAGE_IDS) this.#seenOrder.push(event.id);
      else {
        this.#seenMessageIds.delete(this.#seenOrder[this.#seenNext]);
        this.#seenOrder[this.#seenNext] = event.id;
        this.#seenNext = (this.#seenNext + 1) % REMEMBERED_MESSAGE_IDS;
      }
      this.#seenMessageIds.add(event.id);
    }
    this.#queue.push(event);
    if (!this.#drainScheduled) {
      this.#drainScheduled = true;
      this.tracker.schedule("delivery", () => this.#drain());
    }
  }

  #drain(): void {
    this.#drainScheduled = false;
    while (this.#queue.length > 0) {
      const event = this.#queue.shift() as RemoteEvent;
      for (const handler of [...this.#handlers]) {
        try {
          handler(event);
        } catch (error) {
          messengerLog.error("A Messenger event handler threw on {type}: {error}", {
            type: event.type,
            error,
          });
        }
      }
    }
  }
}
