/**
 * XML namespaces used by the XMPP side, in one place so a typo cannot make a feature silently
 * unreachable.
 *
 * @module
 */

/** RFC 6120 stanza error conditions. */
export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
/** XEP-0030 service discovery. */
export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
/** XEP-0030 service discovery items. */
export const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
/** XEP-0199 XMPP ping. */
export const NS_PING = "urn:xmpp:ping";
/** XEP-0092 software version. */
export const NS_VERSION = "jabber:iq:version";
/** XEP-0356 privileged entity. */
export const NS_PRIVILEGE = "urn:xmpp:privilege:2";
