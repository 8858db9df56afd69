/**
 * Puts Messenger groups into users' bookmarks, so their clients show and join the rooms by
 * themselves: XEP-0402 (`urn:xmpp:bookmarks:1`, autojoin) published into the user's own PEP
 * through a XEP-0356 privileged iq, where the user's server grants the gateway `iq` access to
 * `http://jabber.org/protocol/pubsub`; else a XEP-0249 direct invitation per room, which clients
 * show as "join this group chat?".
 *
 * Users have long asked for this from bridges (spectrum2 #68 "group bookmarks", bitlbee-facebook
 * #159): groups that do not appear by themselves are groups people miss.
 *
 * @module
 */

import type { RoomCard } from "../gateway/xmpp_port.ts";
import { xmppLog } from "../log.ts";
import { NS_DATA_FORMS } from "./data_form.ts";
import { directInvitation } from "./muc_stanzas.ts";
import { NS_CLIENT } from "./namespaces.ts";
import type { IqCaller } from "./privileged_roster.ts";
import type { Privileges } from "./privileges.ts";
import { type Element, xml } from "./xml.ts";

/** XEP-0060 publish-subscribe. */
export const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
/** XEP-0402 bookmarks (the PEP node and the payload namespace). */
export const NS_BOOKMARKS = "urn:xmpp:bookmarks:1";

/** What bookmarking needs. */
export interface BookmarksOptions {
  domain: string;
  privileges: Privileges;
  /** Sends an iq and resolves with its reply. */
  call: IqCaller;
  /** Sends a stanza (invitations). */
  send: (stanza: Element) => Promise<unknown>;
  /** Bound on waiting for the server's grant after connecting (ms); default 5 s. */
  grantWaitMs?: number;
}

/** How a room was offered to the user. */
export type Offered = "bookmark" | "invitation";

/** Bookmarks rooms for users, or invites them. */
export class Bookmarks {
  readonly #options: BookmarksOptions;

  constructor(options: BookmarksOptions) {
    this.#options = options;
  }

  /**
   * Offers each room to the user: bookmarked where the server allows it (a room whose bookmark
   * fails is invited to instead), invited otherwise. Never throws.
   */
  async offer(user: string, rooms: RoomCard[]): Promise<Offered[]> {
    const privileges = this.#options.privileges;
    await privileges.settledWithin(this.#options.grantWaitMs ?? 5000);
    const offered: Offered[] = [];
    for (const room of rooms) {
      if (privileges.canSendIq(user, NS_PUBSUB, "set")) {
        try {
          await this.#publish(user, room);
          offered.push("bookmark");
          continue;
        } catch (error) {
          xmppLog.warn("Could not bookmark {room} for {user}, inviting instead: {reason}", {
            room: this.#roomJid(room),
            user,
            reason: error instanceof Error ? error.message : String(error),
          });
        }
      }
      await this.#options.send(
        directInvitation(
          this.#roomJid(room),
          user,
          this.#roomJid(room),
          `Messenger group ${room.name ?? room.thread}`,
        ),
      );
      offered.push("invitation");
    }
    return offered;
  }

  async #publish(user: string, room: RoomCard): Promise<void> {
    const jid = this.#roomJid(room);
    const reply = await this.#options.call(
      privilegedIq(
        this.#options.privileges.of(user).namespace,
        this.#options.domain,
        user,
        bookmarkPublish(user, jid, room),
      ),
    );
    if (reply.attrs.type !== "result") {
      const condition = reply.getChild("error")?.getChildElements()[0]?.name ?? "no answer";
      throw new Error(`the server answered ${condition}`);
    }
  }

  #roomJid(room: RoomCard): string {
    return `${room.thread}@${this.#options.domain}`;
  }
}

/** The user's own PEP publish of one XEP-0402 bookmark (the iq wrapped by the privilege). */
export function bookmarkPublish(user: string, roomJid: string, room: RoomCard): Element {
  return xml(
    "iq",
    { xmlns: NS_CLIENT, type: "set", from: user, to: user, id: crypto.randomUUID() },
    xml(
      "pubsub",
      { xmlns: NS_PUBSUB },
      xml(
        "publish",
        { node: NS_BOOKMARKS },
        xml(
          "item",
          { id: roomJid },
          xml(
            "conference",
            { xmlns: NS_BOOKMARKS, name: room.name ?? room.thread, autojoin: "true" },
            room.nick === undefined ? null : xml("nick", {}, room.nick),
          ),
        ),
      ),
      xml(
        "publish-options",
        {},
        xml(
          "x",
          { xmlns: NS_DATA_FORMS, type: "submit" },
          field("FORM_TYPE", "http://jabber.org/protocol/pubsub#publish-options", "hidden"),
          field("pubsub#persist_items", "true"),
          field("pubsub#max_items", "max"),
          field("pubsub#send_last_published_item", "never"),
          field("pubsub#access_model", "whitelist"),
        ),
      ),
    ),
  );
}

/** XEP-0356: an iq the gateway sends as if the user had (`inner` from and to the user). */
export function privilegedIq(
  namespace: string,
  domain: string,
  user: string,
  inner: Element,
): Element {
  return xml(
    "iq",
    { type: inner.attrs.type, from: domain, to: user, id: crypto.randomUUID() },
    xml("privileged_iq", { xmlns: namespace }, inner),
  );
}

function field(name: string, value: string, type?: string): Element {
  return xml("field", { var: name, type }, xml("value", {}, value));
}
