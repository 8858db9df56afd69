/**
 * A user's XMPP server as the senders see it, for "stanza in → stanza out" tests: records sent
 * stanzas and answers privileged roster iqs the way Prosody's mod_privilege does (one reply per
 * item; removing an absent item is `item-not-found`).
 *
 * @module
 */

import type { ContactCard } from "../../src/gateway/xmpp_port.ts";
import type { UserId } from "../../src/messenger/ids.ts";
import { Privileges } from "../../src/xmpp/privileges.ts";
import { type Element, parseXml, xml } from "../../src/xmpp/xml.ts";
import { XmppSenders, type XmppSendersOptions } from "../../src/xmpp/xmpp_senders.ts";
import type { AvatarCache } from "../../src/xmpp/avatar_cache.ts";

/** The gateway domain of these tests. */
export const GW = "facebook.example.org";
/** The test user. */
export const ALICE = "alice@example.org";

/** The grant Prosody sends with `roster = "both"; message = "outgoing"`. */
export const GRANT = parseXml(`<message from="example.org" to="${GW}">
  <privilege xmlns="urn:xmpp:privilege:2">
    <perm access="roster" type="both"/><perm access="message" type="outgoing"/>
  </privilege></message>`);

/** A fake server with a roster per user, and senders talking to it. */
export function fakeServer(options: {
  privileged: boolean;
  /** Roster sets fail with this condition. */
  refuseSets?: string;
  avatars?: AvatarCache;
  cards?: ContactCard[];
  extra?: Partial<XmppSendersOptions>;
}) {
  const sent: Element[] = [];
  const iqs: Element[] = [];
  const rosters = new Map<string, Map<string, Element>>();
  const privileges = new Privileges({ graceMs: 0, collectMs: 0 });
  if (options.privileged) privileges.handleMessage(GRANT);
  else privileges.connectionOnline();
  const call = (iq: Element): Promise<Element> => {
    iqs.push(iq);
    const user = iq.attrs.to!;
    const roster = rosters.get(user) ?? new Map<string, Element>();
    rosters.set(user, roster);
    const reply = (type: string, ...children: Element[]) =>
      Promise.resolve(xml("iq", { type, from: user, to: GW, id: iq.attrs.id ?? "" }, ...children));
    const error = (condition: string) =>
      reply(
        "error",
        xml(
          "error",
          { type: "cancel" },
          xml(condition, { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }),
        ),
      );
    const query = iq.getChild("query", "jabber:iq:roster")!;
    if (iq.attrs.type === "get") {
      return reply("result", xml("query", { xmlns: "jabber:iq:roster" }, ...roster.values()));
    }
    if (options.refuseSets) return error(options.refuseSets);
    const item = query.getChild("item")!;
    if (item.attrs.subscription === "remove") {
      if (!roster.delete(item.attrs.jid!)) return error("item-not-found");
    } else {
      roster.set(item.attrs.jid!, item);
    }
    return reply("result");
  };
  const cards = new Map((options.cards ?? []).map((card) => [card.id, card]));
  const senders = new XmppSenders({
    domain: GW,
    name: "Messenger",
    group: "Messenger",
    send: (stanza) => Promise.resolve(void sent.push(stanza)),
    call,
    privileges,
    avatars: options.avatars,
    contact: (_user, id: UserId) => cards.get(id),
    ...options.extra,
  });
  return { sent, iqs, rosters, privileges, senders };
}

/** Parses a test literal. */
export const parse = parseXml;
