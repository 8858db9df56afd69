/**
 * Catches a Messenger session that stays connected but brings nothing: its keepalives succeed,
 * traffic-based stall detection sees a healthy link, and yet no message arrives (the top complaint
 * about mautrix-meta and every fca fork). Every few minutes, with jitter, it compares the newest
 * messages of the most recent conversations on Messenger with what reached the user; a message
 * Messenger has and the user never got means the listener is silently dead. It then restarts the
 * listener and delivers what was missed through the normal flow, in order — each message at most
 * once, since every delivery goes through the "already seen" record — and tells the user once if it
 * keeps happening.
 *
 * Paced to stay unremarkable to Facebook: one thread list per check, history only of threads with
 * activity since the last check, a few of them at most.
 *
 * @module
 */

import { gatewayLog } from "../log.ts";
import type { MessageEvent } from "../messenger/events.ts";
import type { ThreadId } from "../messenger/ids.ts";
import {
  capability,
  hasCapability,
  type HistoryMessage,
  type MessengerSession,
  type ThreadInfo,
} from "../messenger/session.ts";
import type { UserMessageIds } from "../store/message_ids.ts";
import { explainFailure } from "./login_failure.ts";

/** How the watchdog runs (`messenger.watchdog_interval` and `watchdog_threads`). */
export interface WatchdogSettings {
  /** Between two checks (ms); 0 turns the watchdog off. */
  intervalMs: number;
  /** Most recent conversations looked at per check. */
  threads: number;
  /** Messages younger than this are left to the next check; default min(20 s, interval). */
  graceMs?: number;
}

/** Messages fetched per history call (one page). */
const HISTORY_PER_THREAD = 20;
/**
 * Pages read back per conversation at most, while every message of the last page is still inside
 * the window: a busy group can get more than one page of messages during a stall or a restart.
 */
const MAX_HISTORY_PAGES = 10;
/** Random spread of the interval (±), so checks of many users do not line up. */
const JITTER = 0.2;
/** How far back the first check after a restart looks at most (ms): a week. */
const MAX_CATCH_UP_MS = 7 * 24 * 3_600_000;
/** The first check after a login comes this soon at most (ms). */
const FIRST_CHECK_MS = 30_000;
/** How far each check looks back into the previous one's window (ms). */
const WINDOW_OVERLAP_MS = 1000;
/** Messages younger than this are not judged yet: they may be on their way through the queues. */
const MAX_GRACE_MS = 20_000;

/** What the watchdog needs of the session it watches. */
export interface WatchedSession {
  readonly jid: string;
  readonly ids: UserMessageIds;
  /** The Messenger session while it is connected. */
  connectedMessenger(): MessengerSession | undefined;
  /** Hands a missed message to the normal delivery, as if the listener had brought it. */
  redeliver(event: MessageEvent): void;
  /** True while a message with this id was received and waits to be shown. */
  arriving(id: string): boolean;
  /** Tells the user (once the watchdog decided it keeps happening). */
  tell(text: string): Promise<void>;
  /** Where the last check of an earlier run ended, if the store knows. */
  loadMark(): Promise<number | undefined>;
  /** Remembers where this check ended (for the next run, after a restart). Never throws. */
  saveMark(at: number): Promise<void>;
}

/** What one check found. */
export interface CheckOutcome {
  /** Messages Messenger has that never reached the user. */
  missing: number;
  /** The listener was restarted. */
  restarted: boolean;
}

/** Watches one session; started at each login, stopped when the session goes. */
export class ContentWatchdog {
  readonly #session: WatchedSession;
  readonly #settings: WatchdogSettings;
  readonly #now: () => number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Messages newer than this are judged by the next check. */
  #since: number;
  #detections = 0;
  #told = false;
  #running: Promise<CheckOutcome> | undefined;
  /** Bumped by every stop: a start still reading its mark then schedules nothing. */
  #run = 0;
  /** The latest start, still reading where the last run ended: checks wait for it. */
  #starting: Promise<void> = Promise.resolve();

  constructor(session: WatchedSession, settings: WatchdogSettings, now: () => number = Date.now) {
    this.#session = session;
    this.#settings = settings;
    this.#now = now;
    this.#since = now() - WINDOW_OVERLAP_MS;
  }

  /**
   * Schedules the checks (nothing when the interval is 0). The first window starts where the last
   * check of an earlier run ended (at most {@link MAX_CATCH_UP_MS} back), so what arrived while the
   * gateway was down is found and delivered; the first check comes soon after a login.
   */
  start(): Promise<void> {
    this.#starting = this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    this.stop();
    const run = this.#run;
    const now = this.#now();
    const mark = await this.#session.loadMark().catch(() => undefined);
    if (run !== this.#run) return; // stopped (or started again) meanwhile
    this.#since = mark === undefined
      ? now - WINDOW_OVERLAP_MS
      : Math.max(mark - WINDOW_OVERLAP_MS, now - MAX_CATCH_UP_MS);
    // Never checked before: this start is where a later run looks from, should this one be
    // stopped (a kill, a crash) before its first check ends.
    if (mark === undefined && this.#settings.intervalMs > 0) await this.#session.saveMark(now);
    if (run !== this.#run) return;
    this.#schedule(Math.min(this.#settings.intervalMs, FIRST_CHECK_MS));
  }

  /** Stops the checks. */
  stop(): void {
    this.#run++;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** One check now (the timer's, or a test's). Never throws. */
  check(): Promise<CheckOutcome> {
    this.#running ??= this.#check().finally(() => (this.#running = undefined));
    return this.#running;
  }

  #schedule(delayMs = this.#settings.intervalMs): void {
    if (this.#settings.intervalMs <= 0) return;
    const spread = 1 + (Math.random() * 2 - 1) * JITTER;
    this.#timer = setTimeout(async () => {
      await this.check();
      if (this.#timer !== undefined) this.#schedule();
    }, delayMs * spread);
  }

  async #check(): Promise<CheckOutcome> {
    await this.#starting;
    const none = { missing: 0, restarted: false };
    const messenger = this.#session.connectedMessenger();
    if (!messenger || !hasCapability(messenger, "getThreads")) return none;
    const grace = this.#settings.graceMs ??
      Math.min(MAX_GRACE_MS, this.#settings.intervalMs || MAX_GRACE_MS);
    const until = this.#now() - grace;
    const since = this.#since;
    let missing: MessageEvent[];
    try {
      const threads = await capability(messenger, "getThreads")(this.#settings.threads);
      missing = await this.#missed(messenger, threads, since, until);
    } catch (error) {
      gatewayLog.debug("Content check of {jid} not done: {reason}", {
        jid: this.#session.jid,
        reason: explainFailure(error).sentence,
      });
      return none;
    }
    // The windows overlap a little: a message stamped at the very edge is looked at twice
    // rather than never ("already seen" keeps it from being delivered twice).
    this.#since = Math.max(since, until - WINDOW_OVERLAP_MS);
    await this.#session.saveMark(until);
    if (missing.length === 0) return none;
    this.#detections++;
    gatewayLog.warn(
      "The Messenger session of {jid} is connected but silent: {count} message(s) never " +
        "arrived; restarting its listener and delivering them",
      { jid: this.#session.jid, count: missing.length },
    );
    let restarted = false;
    if (hasCapability(messenger, "restartListener")) {
      try {
        await capability(messenger, "restartListener")();
        restarted = true;
      } catch (error) {
        gatewayLog.warn("Restarting the listener of {jid} failed: {reason}", {
          jid: this.#session.jid,
          reason: explainFailure(error).sentence,
        });
      }
    }
    for (const event of missing.sort((a, b) => a.timestamp - b.timestamp)) {
      this.#session.redeliver(event);
    }
    if (this.#detections >= 2 && !this.#told) {
      this.#told = true;
      await this.#session.tell(
        "Messenger stopped delivering messages to the gateway more than once while the " +
          "connection looked fine. Each time the gateway noticed, reconnected and delivered what " +
          "it had missed (they arrive late, in order). If it keeps happening, run 're-login'.",
      );
    }
    return { missing: missing.length, restarted };
  }

  /** Messages of threads with new activity in (since, until] that never reached the user. */
  async #missed(
    messenger: MessengerSession,
    threads: ThreadInfo[],
    since: number,
    until: number,
  ): Promise<MessageEvent[]> {
    if (!hasCapability(messenger, "getHistory")) return [];
    const getHistory = capability(messenger, "getHistory");
    const self = messenger.self.id;
    const missing: MessageEvent[] = [];
    for (const thread of threads) {
      const last = thread.lastMessage?.timestamp ?? thread.lastActivity;
      if (last === undefined || last <= since) continue;
      const history = await this.#windowHistory(getHistory, thread.id, since);
      for (const message of history) {
        if (message.timestamp <= since || message.timestamp > until) continue;
        // Received (live or handed back by an earlier check) and waiting in its conversation's
        // queue: not missing, only not shown yet.
        if (this.#session.arriving(message.id)) continue;
        if (await this.#session.ids.wasSeen(message.id, message.timestamp)) continue;
        missing.push({
          type: "message",
          conversation: { thread: thread.id, kind: thread.isGroup ? "group" : "direct" },
          actor: message.sender,
          id: message.id,
          text: message.text,
          attachments: message.attachments,
          mentions: [],
          timestamp: message.timestamp,
          fromSelf: message.sender === self,
        });
      }
    }
    return missing;
  }

  /**
   * A thread's messages back to `since` (and a few before it), page by page, at most
   * {@link MAX_HISTORY_PAGES} pages; each message once.
   */
  async #windowHistory(
    getHistory: NonNullable<MessengerSession["getHistory"]>,
    thread: ThreadId,
    since: number,
  ): Promise<HistoryMessage[]> {
    const byId = new Map<string, HistoryMessage>();
    let before: number | undefined;
    for (let page = 0; page < MAX_HISTORY_PAGES; page++) {
      const messages = await getHistory(thread, HISTORY_PER_THREAD, before);
      let oldest: number | undefined;
      for (const message of messages) {
        byId.set(message.id, message);
        oldest = oldest === undefined ? message.timestamp : Math.min(oldest, message.timestamp);
      }
      // A short page is the thread's beginning; a page reaching `since` covers the window.
      if (messages.length < HISTORY_PER_THREAD || oldest === undefined || oldest <= since) break;
      // Messenger's `before` is exclusive on some paths and not on others: the map drops repeats.
      if (before !== undefined && oldest >= before) break; // no progress: stop rather than loop
      before = oldest;
    }
    return [...byId.values()];
  }
}
