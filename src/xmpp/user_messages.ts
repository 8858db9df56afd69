/**
 * Entry point of users' messages to contact JIDs: parse, refuse what is wrong with the right
 * error, drop the gateway's own injected carbons that the server routes back, and hand the rest
 * to the gateway's outgoing flow.
 *
 * @module
 */

import { threadIdOf } from "../gateway/contact_ids.ts";
import { stanzaErrorOf } from "./message_failure.ts";
import type { Gateway } from "../gateway/gateway.ts";
import { MessageRefused, type OutgoingMessages } from "../gateway/outgoing_messages.ts";
import { parseJid } from "./jid.ts";
import { parseUserMessage } from "./message_parse.ts";
import { isOwnInjectedCopy } from "./privileged_carbon.ts";
import type { Router } from "./router.ts";
import { StanzaError } from "./stanza_error.ts";

/** Handles messages to contact JIDs (registration is checked by the router before). */
export function registerUserMessages(
  router: Router,
  options: { domain: string; gateway: Gateway; outgoing: OutgoingMessages },
): void {
  router.onMessage("contact", ({ stanza, from, to }) => {
    if (isOwnInjectedCopy(stanza, options.domain)) return;
    const parsed = parseUserMessage(stanza);
    if (!parsed.ok) throw parsed.error;
    if (parsed.message.actions.length === 0) return;
    if (parsed.message.type === "groupchat") {
      throw new StanzaError("service-unavailable", "Group chats are not bridged yet");
    }
    const thread = threadIdOf(to.local);
    if (!thread) {
      throw new StanzaError("item-not-found", `${to.bare} is not a Messenger contact address`);
    }
    const session = options.gateway.session(from.bare);
    if (!session) throw new StanzaError("registration-required", "You are not registered");
    // Only mentions of this gateway's contacts can become Messenger mentions.
    for (const action of parsed.message.actions) {
      if (action.kind === "text" || action.kind === "correction") {
        action.content.mentions = action.content.mentions.filter((mention) =>
          parseJid(mention.jid)?.domain === options.domain
        );
      }
    }
    try {
      options.outgoing.accept(session, thread, parsed.message, from.full);
    } catch (error) {
      if (error instanceof MessageRefused) {
        throw stanzaErrorOf(error.failure);
      }
      throw error;
    }
  });
}
