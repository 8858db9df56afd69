/**
 * The validated content of a world file: who exists in the simulated Messenger, who can log in,
 * who is friends with whom and which groups exist.
 *
 * It is plain data (produced by `parseWorld`) so tests can also build one in code. TOML keys are
 * snake_case; the fields here are camelCase.
 *
 * @module
 */

import type { Cookie } from "../credentials.ts";
import type { ThreadId, UserId } from "../ids.ts";

/** Any person (or bot) of the simulated Messenger, including the accounts themselves. */
export interface WorldUser {
  id: UserId;
  name: string;
  firstName?: string;
  avatarUrl?: string;
  /** Answers every message with the same text and mirrors reactions (never for an account). */
  echo: boolean;
}

/** A group conversation. `members` lists everyone in it, accounts included. */
export interface WorldGroup {
  id: ThreadId;
  name?: string;
  imageUrl?: string;
  members: UserId[];
  /** Members who may remove others (default: the first account listing the group). */
  admins: UserId[];
}

/** A pending message request a non-friend sent to an account before the world started. */
export interface WorldMessageRequest {
  from: UserId;
  text: string;
}

/** An account somebody can log in to (through the gateway or the control API). */
export interface WorldAccount {
  userId: UserId;
  email: string;
  password: string;
  /** When set, a password login asks for this code. */
  twoFactorCode?: string;
  /** When set, a cookie login must present this `xs` value (besides `c_user` = userId). */
  cookies?: Cookie[];
  /** Every login fails with a `checkpoint` error, as for an account Facebook locked. */
  checkpoint: boolean;
  /** Friends' user ids (symmetric between accounts). */
  friends: UserId[];
  messageRequests: WorldMessageRequest[];
}

/** A whole simulated Messenger. */
export interface World {
  /** Where it was loaded from, for messages (`"<inline>"` when built in code). */
  file: string;
  /** Every user, accounts included, each once. */
  users: WorldUser[];
  accounts: WorldAccount[];
  groups: WorldGroup[];
}
