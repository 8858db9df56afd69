/**
 * Opaque identifiers of the Messenger side.
 *
 * They are branded strings so that a thread id can never be passed where a message id is expected,
 * while staying plain strings at run time (cheap to store, log and send to a Worker). The only
 * place that turns raw strings into these types is the adapter that received them (or a test).
 *
 * @module
 */

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/**
 * A Messenger user (or page) id, e.g. `"100012345678901"`. Unique across all of Messenger and
 * stable for the account's lifetime, so it is what contact JIDs are made from.
 */
export type UserId = Brand<string, "UserId">;

/**
 * A conversation id. Unique across Messenger. For a 1:1 chat it equals the other user's
 * {@link UserId}; for a group it is the group's own id (never a user's).
 */
export type ThreadId = Brand<string, "ThreadId">;

/**
 * A message id, e.g. `"mid.$cAAA…"`. Unique across Messenger; reactions, unsends and replies
 * refer to messages by it.
 */
export type MessageId = Brand<string, "MessageId">;

/** Marks a raw string received from the network as a user id. */
export function asUserId(raw: string): UserId {
  return raw as UserId;
}

/** Marks a raw string received from the network as a thread id. */
export function asThreadId(raw: string): ThreadId {
  return raw as ThreadId;
}

/** Marks a raw string received from the network as a message id. */
export function asMessageId(raw: string): MessageId {
  return raw as MessageId;
}

/** The 1:1 thread with a user has the user's id: this says so in one place. */
export function directThreadOf(user: UserId): ThreadId {
  return user as string as ThreadId;
}
