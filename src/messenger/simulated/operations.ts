/**
 * The record of everything the gateway did to the simulated network, per account, in order: what
 * tests assert on ("the gateway sent this text as a reply to that message"), like a Facebook-side
 * log. Failed calls are recorded too, with their error code.
 *
 * @module
 */

import type { MessengerErrorCode } from "../errors.ts";
import type { Mention } from "../events.ts";
import type { MessageId, ThreadId, UserId } from "../ids.ts";

/** An attachment as recorded: its bytes are served at `url`, not kept in the log. */
export interface RecordedAttachment {
  filename: string;
  contentType: string;
  size: number;
  url: string;
}

/** What one operation was, by method name (the names of the `MessengerSession` methods). */
export type OperationDetails =
  | {
    method: "login";
    /** How: a password, cookies, or the two-factor code that completed a password login. */
    via: "password" | "cookies" | "two_factor_code";
    /** Set when the password was right and a two-factor code is now awaited. */
    twoFactorRequired?: true;
  }
  | { method: "listen" }
  | { method: "disconnect" }
  | { method: "exportCookies" }
  | {
    method: "sendMessage";
    thread: ThreadId;
    isGroup: boolean;
    text: string;
    replyTo?: MessageId;
    mentions: Mention[];
    attachments: RecordedAttachment[];
    /** The id Messenger gave the message (absent when the call failed). */
    messageId?: MessageId;
  }
  | { method: "react"; messageId: MessageId; reaction: string }
  | { method: "unsend"; messageId: MessageId }
  | { method: "markRead"; thread: ThreadId }
  | { method: "setTyping"; thread: ThreadId; typing: boolean; isGroup: boolean }
  | { method: "getThreads"; limit: number }
  | { method: "getThreadInfo"; thread: ThreadId }
  | { method: "getHistory"; thread: ThreadId; count: number; before?: number }
  | { method: "getFriends" }
  | { method: "getUserInfo"; users: UserId[] }
  | { method: "searchUsers"; query: string }
  | { method: "createGroup"; users: UserId[]; title: string; thread?: ThreadId }
  | { method: "addToGroup"; thread: ThreadId; user: UserId }
  | { method: "removeFromGroup"; thread: ThreadId; user: UserId }
  | { method: "renameGroup"; thread: ThreadId; name: string }
  | { method: "setGroupAdmin"; thread: ThreadId; user: UserId; admin: boolean }
  | { method: "handleMessageRequest"; threads: ThreadId[]; accept: boolean }
  | { method: "restartListener" };

/** Names of recorded operations. */
export type OperationMethod = OperationDetails["method"];

/** One recorded operation. */
export type Operation = OperationDetails & {
  /** Position in the account's log, from 1; the `since` cursor of {@link OperationLog.list}. */
  seq: number;
  /** When it completed (ms since the epoch). */
  timestamp: number;
  /** Which login session did it (numbered from 1 per network). */
  session: number;
  /** Why it failed; absent when it succeeded. */
  error?: MessengerErrorCode;
};

/** A page of the log: the operations after a cursor, and the cursor to ask with next time. */
export interface OperationPage {
  operations: Operation[];
  next: number;
}

/** The per-account operation logs of one network. */
export class OperationLog {
  readonly #byAccount = new Map<UserId, Operation[]>();

  /** Appends an operation to an account's log and returns it. */
  record(
    account: UserId,
    session: number,
    timestamp: number,
    details: OperationDetails,
    error?: MessengerErrorCode,
  ): Operation {
    let list = this.#byAccount.get(account);
    if (list === undefined) {
      list = [];
      this.#byAccount.set(account, list);
    }
    const operation: Operation = { ...details, seq: list.length + 1, timestamp, session };
    if (error !== undefined) operation.error = error;
    list.push(operation);
    return operation;
  }

  /** The account's operations with `seq > since`, oldest first. */
  list(account: UserId, since = 0): OperationPage {
    const list = this.#byAccount.get(account) ?? [];
    const operations = list.slice(Math.max(0, since));
    return { operations, next: list.length };
  }
}
