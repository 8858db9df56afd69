/**
 * The one mapping from the core's message failure kinds to XMPP error conditions, used both for
 * refusals answered at once and for failures reported after Messenger answered.
 *
 * @module
 */

import type { MessageFailure } from "../gateway/xmpp_port.ts";
import { StanzaError, type StanzaErrorCondition } from "./stanza_error.ts";

const CONDITIONS: Record<MessageFailure["kind"], StanzaErrorCondition> = {
  not_acceptable: "not-acceptable",
  item_not_found: "item-not-found",
  service_unavailable: "service-unavailable",
  remote_server_timeout: "remote-server-timeout",
  feature_not_implemented: "feature-not-implemented",
  not_allowed: "not-allowed",
  internal: "internal-server-error",
};

/** The stanza error for a message failure, with its sentence. */
export function stanzaErrorOf(failure: MessageFailure): StanzaError {
  return new StanzaError(CONDITIONS[failure.kind], failure.text);
}
