/**
 * Why a user's message cannot be turned into actions, and the limits that decide it.
 *
 * A parse error is a {@link StanzaError} with a sentence the user will read, so the gateway can
 * bounce the message as is (`errorReply(stanza, error)`): `bad-request` for malformed stanzas,
 * `not-acceptable` for well-formed ones the gateway will not carry (too big, encrypted, not emoji).
 *
 * @module
 */

import { StanzaError } from "./stanza_error.ts";

/** A message that cannot be parsed into actions; the text says why. */
export class MessageParseError extends StanzaError {
  override name = "MessageParseError";
  constructor(condition: "bad-request" | "not-acceptable", text: string) {
    super(condition, text);
  }
}

/** Bounds on what one message may carry; beyond them the input is treated as absurd. */
export interface MessageLimits {
  /** Longest id (stanza id, origin-id, or an id a payload refers to), in UTF-16 units. */
  maxIdLength: number;
  /** Longest body, in UTF-16 units. Messenger's own, smaller limit is the gateway's business. */
  maxBodyLength: number;
  /** Most distinct reactions in one XEP-0444 update. */
  maxReactions: number;
  /** Longest single reaction, in UTF-16 units (emoji ZWJ sequences run to about 15). */
  maxReactionLength: number;
  /** Most XEP-0066 URLs in one message. */
  maxAttachmentUrls: number;
  /** Longest attachment URL. */
  maxUrlLength: number;
  /** Most mentions read from one message; extra ones are ignored (best effort). */
  maxMentions: number;
}

/** The limits used unless the caller passes others. */
export const DEFAULT_MESSAGE_LIMITS: Readonly<MessageLimits> = {
  maxIdLength: 256,
  maxBodyLength: 100_000,
  maxReactions: 16,
  maxReactionLength: 64,
  maxAttachmentUrls: 10,
  maxUrlLength: 4096,
  maxMentions: 100,
};
