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
/** XEP-0115 entity capabilities (a disco#info hash in presence). */
export const NS_CAPS = "http://jabber.org/protocol/caps";
/** XEP-0199 XMPP ping. */
export const NS_PING = "urn:xmpp:ping";
/** XEP-0092 software version. */
export const NS_VERSION = "jabber:iq:version";
/** XEP-0356 privileged entity. */
export const NS_PRIVILEGE = "urn:xmpp:privilege:2";

// One-to-one messages (contact ↔ user), read by message_parse.ts and built by message_build.ts.

/** RFC 6120 client namespace (a forwarded message's own xmlns). */
export const NS_CLIENT = "jabber:client";
/** XEP-0085 chat state notifications. */
export const NS_CHAT_STATES = "http://jabber.org/protocol/chatstates";
/** XEP-0184 message delivery receipts. */
export const NS_RECEIPTS = "urn:xmpp:receipts";
/** XEP-0333 chat markers. */
export const NS_CHAT_MARKERS = "urn:xmpp:chat-markers:0";
/** XEP-0334 message processing hints. */
export const NS_HINTS = "urn:xmpp:hints";
/** XEP-0203 delayed delivery. */
export const NS_DELAY = "urn:xmpp:delay";
/** XEP-0359 unique and stable stanza ids (origin-id, stanza-id). */
export const NS_SID = "urn:xmpp:sid:0";
/** XEP-0297 stanza forwarding. */
export const NS_FORWARD = "urn:xmpp:forward:0";
/** XEP-0461 message replies. */
export const NS_REPLY = "urn:xmpp:reply:0";
/** XEP-0428 fallback indication. */
export const NS_FALLBACK = "urn:xmpp:fallback:0";
/** The namespace XEP-0461's examples (and older clients) use for the fallback element. */
export const NS_FALLBACK_LEGACY = "urn:xmpp:feature-fallback:0";
/** XEP-0066 out-of-band data (attachment URLs). */
export const NS_OOB = "jabber:x:oob";
/** XEP-0372 references (mentions). */
export const NS_REFERENCE = "urn:xmpp:reference:0";
/** XEP-0444 message reactions. */
export const NS_REACTIONS = "urn:xmpp:reactions:0";
/** XEP-0444 restrictions advertised in disco (one emoji per message on Messenger). */
export const NS_REACTIONS_RESTRICTIONS = "urn:xmpp:reactions:0:restrictions";
/** XEP-0424 message retraction (version 1, current). */
export const NS_RETRACT = "urn:xmpp:message-retract:1";
/** XEP-0424 message retraction before version 0.4 (inside a XEP-0422 fastening). */
export const NS_RETRACT_LEGACY = "urn:xmpp:message-retract:0";
/** XEP-0422 message fastening (carries the legacy retraction). */
export const NS_FASTEN = "urn:xmpp:fasten:0";
/** XEP-0308 last message correction. */
export const NS_CORRECT = "urn:xmpp:message-correct:0";
/**
 * Marks a message the gateway injected with the XEP-0356 message privilege, so it recognises the
 * copy the server routes back to it (see privileged_carbon.ts). Private to this gateway.
 */
export const NS_GATEWAY_INJECTED = "urn:x-messenger-gateway:injected:0";
/** RFC 6121 roster management (pushed into users' rosters with the XEP-0356 privilege). */
export const NS_ROSTER = "jabber:iq:roster";
/** XEP-0054 vcard-temp: contacts' names and avatars. */
export const NS_VCARD = "vcard-temp";
/** XEP-0153 avatar hash in presence. */
export const NS_VCARD_UPDATE = "vcard-temp:x:update";
/** XEP-0172 user nickname (in subscription requests). */
export const NS_NICK = "http://jabber.org/protocol/nick";
/** XEP-0380 explicit message encryption (names the scheme of an encrypted message). */
export const NS_EME = "urn:xmpp:eme:0";
/** XEP-0384 OMEMO as deployed by Conversations, Dino and Gajim ("siacs" OMEMO). */
export const NS_OMEMO_LEGACY = "eu.siacs.conversations.axolotl";
/** XEP-0384 OMEMO version 0.8 and later. */
export const NS_OMEMO = "urn:xmpp:omemo:2";
/** XEP-0373 OpenPGP for XMPP. */
export const NS_OPENPGP = "urn:xmpp:openpgp:0";
/** XEP-0027 legacy OpenPGP. */
export const NS_PGP_LEGACY = "jabber:x:encrypted";

// Attachments: files users get from contacts, and the re-upload of Messenger's files.

/** XEP-0363 HTTP file upload (slot requests to the user's server's upload service). */
export const NS_HTTP_UPLOAD = "urn:xmpp:http:upload:0";
/** XEP-0447 stateless file sharing (carries an attachment's metadata next to its URL). */
export const NS_SFS = "urn:xmpp:sfs:0";
/** XEP-0446 file metadata element (media type, name, size, dimensions). */
export const NS_FILE_METADATA = "urn:xmpp:file:metadata:0";
/** XEP-0103 URL address information (a XEP-0447 source). */
export const NS_URL_DATA = "http://jabber.org/protocol/url-data";

// Archives (XEP-0313 on room JIDs).

/** XEP-0313 message archive management, version 2. */
export const NS_MAM = "urn:xmpp:mam:2";
/** XEP-0313 extended: before-id/after-id/ids fields, flipped pages, archive metadata. */
export const NS_MAM_EXTENDED = "urn:xmpp:mam:2#extended";
/** XEP-0059 result set management (paging). */
export const NS_RSM = "http://jabber.org/protocol/rsm";
/** XEP-0122 data forms validation (marks the open `ids` list of the MAM form). */
export const NS_DATA_VALIDATE = "http://jabber.org/protocol/xdata-validate";
