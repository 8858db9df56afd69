/**
 * The XMPP side of {@link XmppPort}: turns what the gateway core wants users to see into
 * presences, messages and roster changes.
 *
 * @module
 */

import { localPartOf } from "../gateway/contact_ids.ts";
import type { ContactCard, PresenceState, XmppPort } from "../gateway/xmpp_port.ts";
import type { UserId } from "../messenger/ids.ts";
import { xml } from "./xml.ts";
import type { Element } from "./xml.ts";

/** What the senders need. */
export interface XmppSendersOptions {
  /** The component's domain. */
  domain: string;
  /** The gateway's name (roster name of the gateway JID). */
  name: string;
  /** Sends a stanza; never throws. */
  send: (stanza: Element) => Promise<unknown>;
}

/** Implements the core's {@link XmppPort} with stanzas. */
export class XmppSenders implements XmppPort {
  #options: XmppSendersOptions;

  constructor(options: XmppSendersOptions) {
    this.#options = options;
  }

  /** The JID of a contact. */
  contactJid(contact: UserId): string {
    return `${localPartOf(contact)}@${this.#options.domain}`;
  }

  async gatewayPresence(user: string, presence: PresenceState): Promise<void> {
    await this.#options.send(presenceStanza(this.#options.domain, user, presence));
  }

  async gatewayMessage(user: string, text: string): Promise<void> {
    await this.#options.send(
      xml("message", {
        type: "chat",
        from: this.#options.domain,
        to: user,
        id: crypto.randomUUID(),
      }, xml("body", {}, text)),
    );
  }

  async contactPresence(user: string, contact: UserId, presence: PresenceState): Promise<void> {
    await this.#options.send(presenceStanza(this.contactJid(contact), user, presence));
  }

  async addContacts(user: string, contacts: ContactCard[]): Promise<void> {
    await this.#options.send(subscribeFrom(this.#options.domain, user, this.#options.name));
    for (const contact of contacts) {
      await this.#options.send(subscribeFrom(this.contactJid(contact.id), user, contact.name));
    }
  }

  async removeContacts(user: string, contacts: UserId[]): Promise<void> {
    for (const from of [...contacts.map((id) => this.contactJid(id)), this.#options.domain]) {
      for (const type of ["unsubscribe", "unsubscribed", "unavailable"]) {
        await this.#options.send(xml("presence", { type, from, to: user }));
      }
    }
  }
}

function presenceStanza(from: string, to: string, presence: PresenceState): Element {
  return xml(
    "presence",
    { from, to, type: presence.available ? undefined : "unavailable" },
    presence.show ? xml("show", {}, presence.show) : null,
    presence.status ? xml("status", {}, presence.status) : null,
  );
}

function subscribeFrom(from: string, to: string, nick: string): Element {
  return xml(
    "presence",
    { type: "subscribe", from, to },
    xml("nick", { xmlns: "http://jabber.org/protocol/nick" }, nick),
    xml(
      "status",
      {},
      "Messenger contact: accept so you can chat (the server did not grant the gateway roster access)",
    ),
  );
}
