/**
 * Presences users send to the gateway JID and to contact JIDs (RFC 6121), and what they get back.
 *
 * - available: the resource is known online (not answered: its server probes the gateway and
 *   each contact it is subscribed to when the resource comes online, RFC 6121 §4.2.2, and the
 *   probes are answered; answering the presence too sent every presence twice);
 * - unavailable: the resource is forgotten (the offline policy of {@link UserPresence} may end
 *   the Messenger session);
 * - probe: answered from stored state (by `contacts.presence`: by default contacts are available
 *   while the Messenger session is connected, as polling Messenger presence risks account locks);
 * - subscribe to the gateway: `subscribed`, its presence, and `subscribe` back (the user's server
 *   answers that by itself when the user already shares their presence);
 * - subscribe to a contact: `subscribed` for a Messenger friend, otherwise `unsubscribed` and a
 *   chat message from the gateway saying why; a friend the user had removed is synced again;
 * - unsubscribe from a contact (the user removed it from their roster): later contact syncs
 *   leave it out, so it does not come back at the next login;
 * - unsubscribe from the gateway JID (the user removed it from their roster): unregistration.
 *   Not `unsubscribed`: the user's server also sends that in answer to the gateway's own probes
 *   when the gateway is not subscribed, and declining the gateway's subscription request is no
 *   wish to leave.
 *
 * Stanzas to contacts from unregistered users were already answered by the router.
 *
 * @module
 */

import { userIdOf } from "../gateway/contact_ids.ts";
import type { GatewayCore, RegisteredUser } from "../gateway/core_port.ts";
import { xmppLog } from "../log.ts";
import type { Jid } from "./jid.ts";
import { presenceStanza, subscriptionPresence } from "./presence_stanzas.ts";
import type { Router, StanzaRequest } from "./router.ts";
import { errorReply, StanzaError } from "./stanza_error.ts";
import type { Element } from "./xml.ts";
import type { XmppSenders } from "./xmpp_senders.ts";

/** What presence handling needs from the rest of the program. */
export interface PresenceHandlingOptions {
  senders: XmppSenders;
  /** Registered users, their resources online, unregistration and friend lookups. */
  core: Pick<GatewayCore, "user" | "users" | "unregister" | "lookUpFriend" | "resources">;
  /** Sends a stanza out. */
  send: (stanza: Element) => Promise<unknown> | unknown;
}

/** The running presence handling. */
export interface PresenceHandling {
  /** Asks every registered user's server for their presence (after (re)connecting). */
  probeUsers(): Promise<void>;
}

/** Registers the presence handlers of the gateway JID and of contact JIDs. */
export function registerPresenceHandling(
  router: Router,
  options: PresenceHandlingOptions,
): PresenceHandling {
  const { senders, core } = options;
  const presence = core.resources;
  const unregistering = new Set<string>();

  function userPresence(from: Jid, type: string | undefined): void {
    if (type === undefined) {
      if (from.resource) presence.available(from.bare, from.resource);
    } else if (type === "unavailable") {
      presence.unavailable(from.bare, from.resource);
    }
  }

  router.onPresence("gateway", async ({ stanza, from }: StanzaRequest) => {
    const type = stanza.attrs.type;
    const session = core.user(from.bare);
    if (!session) {
      presence.forget(from.bare);
      if (type === "probe") {
        await senders.sendGatewayPresence(from.full, { available: false });
      } else if (type === "subscribe") {
        await options.send(errorReply(
          stanza,
          new StanzaError(
            "registration-required",
            "Register with the gateway first (in your client's service discovery, or send " +
              "'help' to the gateway); it then asks to be added by itself",
          ),
        ));
      }
      return;
    }
    switch (type) {
      case undefined:
      case "unavailable":
        userPresence(from, type);
        return;
      case "probe":
        await senders.sendGatewayPresence(from.full, session.presence());
        return;
      case "subscribe":
        await options.send(subscriptionPresence("subscribed", senders.domain, from.bare));
        await senders.sendGatewayPresence(from.bare, session.presence());
        await options.send(subscriptionPresence("subscribe", senders.domain, from.bare));
        return;
      case "unsubscribe":
        await unsubscribed(from.bare);
        return;
      case "subscribed":
      case "unsubscribed":
        xmppLog.debug("{jid} {type} the gateway", { jid: from.bare, type });
        return;
    }
  });

  async function unsubscribed(jid: string): Promise<void> {
    if (unregistering.has(jid)) return;
    unregistering.add(jid);
    try {
      xmppLog.info("{jid} removed the gateway from their roster: unregistering them", { jid });
      await core.unregister(jid, "unsubscribed");
      presence.forget(jid);
      senders.forget(jid);
    } finally {
      unregistering.delete(jid);
    }
  }

  router.onPresence("contact", async ({ stanza, from, to }: StanzaRequest) => {
    const type = stanza.attrs.type;
    const session = core.user(from.bare);
    if (!session) {
      presence.forget(from.bare);
      return;
    }
    const id = userIdOf(to.local);
    switch (type) {
      case undefined:
      case "unavailable":
        userPresence(from, type);
        return;
      case "probe": {
        const known = id !== null && session.contact(id) !== undefined;
        if (!known || id === null) {
          await options.send(presenceStanza(to.bare, from.full, { available: false }));
          return;
        }
        await senders.sendContactPresence(from.full, session.jid, id, session.contactPresence(id));
        return;
      }
      case "subscribe":
        await subscribeToContact(session, from, to);
        return;
      case "unsubscribe":
        if (id === null) return;
        xmppLog.info("{jid} removed contact {contact} from their roster", {
          jid: from.bare,
          contact: id,
        });
        await session.contactRemovedFromRoster(id, true);
        return;
      default:
        xmppLog.debug("{jid} sent {type} to contact {contact}", {
          jid: from.bare,
          type,
          contact: to.bare,
        });
    }
  });

  async function subscribeToContact(session: RegisteredUser, from: Jid, to: Jid): Promise<void> {
    const id = userIdOf(to.local);
    const refuse = async (why: string) => {
      await options.send(subscriptionPresence("unsubscribed", to.bare, from.bare, why));
      await senders.gatewayMessage(from.bare, why);
    };
    if (id === null) {
      await refuse(
        `${to.bare} is not a Messenger contact address: contact addresses are a Messenger ` +
          `user id followed by @${senders.domain}`,
      );
      return;
    }
    const found = await core.lookUpFriend(session.jid, id);
    switch (found.kind) {
      case "friend":
        await session.contactRemovedFromRoster(id, false);
        await options.send(subscriptionPresence("subscribed", to.bare, from.bare));
        await senders.sendContactPresence(from.bare, session.jid, id, session.contactPresence(id));
        return;
      case "not_friend":
        await refuse(
          `Only your Messenger friends can be added to your roster: ` +
            `${found.name ? `${found.name} (${to.bare})` : to.bare} is not one of them`,
        );
        return;
      case "unknown":
        await refuse(
          `Cannot add ${to.bare} now: whether they are your Messenger friend can only be ` +
            `checked while you are connected to Messenger (${session.presence().status}); ` +
            "try again once connected",
        );
        return;
    }
  }

  return {
    async probeUsers() {
      for (const session of core.users()) await senders.probe(session.jid);
    },
  };
}
