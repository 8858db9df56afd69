/**
 * Entry point of users' messages to contact and room JIDs: parse, refuse what is wrong with the
 * right error, drop the gateway's own injected carbons that the server routes back, ask the core
 * what the address is (a direct chat or a group), and hand the rest to the core.
 *
 * @module
 */

import { threadIdOf } from "../gateway/contact_ids.ts";
import type { GatewayCore } from "../gateway/core_port.ts";
import { MessageRefused } from "../gateway/outgoing_messages.ts";
import { stanzaErrorOf } from "./message_failure.ts";
import { parseJid } from "./jid.ts";
import { parseUserMessage } from "./message_parse.ts";
import { isOwnInjectedCopy } from "./privileged_carbon.ts";
import type { Router } from "./router.ts";
import { StanzaError } from "./stanza_error.ts";
import { asInvitee } from "./room_handling.ts";
import { NS_CONFERENCE } from "./muc_stanzas.ts";

/** A XEP-0249 invitation of a contact to one of the user's rooms: the contact is added. */
async function invite(
  options: { domain: string; core: Pick<GatewayCore, "roomAction"> },
  user: string,
  contact: string,
  roomJid: string | undefined,
): Promise<void> {
  const room = parseJid(roomJid);
  const thread = room?.domain === options.domain ? threadIdOf(room.local) : null;
  if (!thread) {
    throw new StanzaError("bad-request", "Invite to one of your Messenger groups' rooms");
  }
  try {
    await options.core.roomAction(user, thread, {
      kind: "invite",
      user: asInvitee(contact, options.domain),
    });
  } catch (error) {
    if (error instanceof MessageRefused) throw stanzaErrorOf(error.failure);
    throw error;
  }
}

/** Handles messages to contact JIDs (registration is checked by the router before). */
export function registerUserMessages(
  router: Router,
  options: {
    domain: string;
    core: Pick<GatewayCore, "conversationAt" | "sendMessage" | "roomAction">;
  },
): void {
  router.onMessage("contact", async ({ stanza, from, to }) => {
    if (isOwnInjectedCopy(stanza, options.domain)) return;
    // XEP-0249: the user invites this contact to one of their rooms.
    const invitation = stanza.getChild("x", NS_CONFERENCE);
    if (invitation) {
      await invite(options, from.bare, to.bare, invitation.attrs.jid);
      return;
    }
    const parsed = parseUserMessage(stanza);
    if (!parsed.ok) throw parsed.error;
    if (parsed.message.actions.length === 0) return;
    const thread = threadIdOf(to.local);
    if (!thread) {
      throw new StanzaError("item-not-found", `${to.bare} is not a Messenger contact address`);
    }
    const found = options.core.conversationAt(from.bare, thread);
    const entry = found instanceof Promise ? await found : found;
    if (entry.kind === "group") {
      throw new StanzaError("service-unavailable", "Group chats are not bridged yet");
    }
    if (parsed.message.type === "groupchat") {
      throw new StanzaError(
        "not-acceptable",
        `${to.bare} is a Messenger contact, not a group chat`,
      );
    }
    // Only mentions of this gateway's contacts can become Messenger mentions.
    for (const action of parsed.message.actions) {
      if (action.kind === "text" || action.kind === "correction") {
        action.content.mentions = action.content.mentions.filter((mention) =>
          parseJid(mention.jid)?.domain === options.domain
        );
      }
    }
    try {
      options.core.sendMessage(from.bare, from.full, { thread, kind: "direct" }, parsed.message);
    } catch (error) {
      if (error instanceof MessageRefused) throw stanzaErrorOf(error.failure);
      throw error;
    }
  });
}
