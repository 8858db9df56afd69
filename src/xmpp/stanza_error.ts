/**
 * The one error type XMPP handlers throw to answer with a specific stanza error.
 *
 * The router turns it into an `<error>` with the condition and the (user-facing) text; any other
 * thrown value becomes `internal-server-error` with a generic sentence, and is only logged.
 *
 * @module
 */

import { NS_STANZAS } from "./namespaces.ts";
import { truncateText } from "./stanza_size.ts";
import { type Attrs, type Element, xml } from "./xml.ts";

/** RFC 6120 §8.3.3 defined conditions the gateway uses. */
export type StanzaErrorCondition =
  | "bad-request"
  | "conflict"
  | "feature-not-implemented"
  | "forbidden"
  | "internal-server-error"
  | "item-not-found"
  | "jid-malformed"
  | "not-acceptable"
  | "not-allowed"
  | "not-authorized"
  | "policy-violation"
  | "recipient-unavailable"
  | "registration-required"
  | "remote-server-timeout"
  | "resource-constraint"
  | "service-unavailable"
  | "undefined-condition"
  | "unexpected-request";

/** RFC 6120 §8.3.2 error types. */
export type StanzaErrorType = "auth" | "cancel" | "continue" | "modify" | "wait";

const DEFAULT_TYPE: Record<StanzaErrorCondition, StanzaErrorType> = {
  "bad-request": "modify",
  "conflict": "cancel",
  "feature-not-implemented": "cancel",
  "forbidden": "auth",
  "internal-server-error": "cancel",
  "item-not-found": "cancel",
  "jid-malformed": "modify",
  "not-acceptable": "modify",
  "not-allowed": "cancel",
  "not-authorized": "auth",
  "policy-violation": "modify",
  "recipient-unavailable": "wait",
  "registration-required": "auth",
  "remote-server-timeout": "wait",
  "resource-constraint": "wait",
  "service-unavailable": "cancel",
  "undefined-condition": "cancel",
  "unexpected-request": "wait",
};

/** Thrown by a handler to answer with this condition and a sentence the user will read. */
export class StanzaError extends Error {
  override name = "StanzaError";
  readonly type: StanzaErrorType;
  constructor(
    readonly condition: StanzaErrorCondition,
    readonly text?: string,
    type?: StanzaErrorType,
  ) {
    super(text ? `${condition}: ${text}` : condition);
    this.type = type ?? DEFAULT_TYPE[condition];
  }

  /** The `<error>` child for a reply. */
  toElement(by?: string): Element {
    return xml(
      "error",
      { type: this.type, by },
      xml(this.condition, { xmlns: NS_STANZAS }),
      this.text ? xml("text", { xmlns: NS_STANZAS, "xml:lang": "en" }, this.text) : null,
    );
  }
}

/** The most of a bounced message's body an error reply echoes (UTF-16 code units). */
export const ECHOED_BODY_MAX = 1024;
/** Attributes of an iq payload longer than this are not echoed. */
const ECHOED_ATTRIBUTE_MAX = 256;

/**
 * Builds the error reply to a stanza: same name, swapped addresses, same id, and a small part of
 * the original (RFC 6120 §8.3.1 allows it; clients match on the id): an iq's payload element
 * without its children, and a message's body cut to {@link ECHOED_BODY_MAX}, only when the message
 * was for a contact (a chat text the client shows as failed). Never more: a user can make the
 * payload as large as their server lets through (escaping makes it larger still on the way back),
 * and it may hold a secret: a registration form with a password or cookies, or, in a message to
 * the gateway itself, an answer in a chat dialogue such as a password.
 */
export function errorReply(stanza: Element, error: StanzaError): Element {
  const reply = xml(stanza.name, {
    type: "error",
    from: stanza.attrs.to,
    to: stanza.attrs.from,
    id: stanza.attrs.id,
  });
  if (stanza.name === "iq") {
    const [payload] = stanza.getChildElements();
    if (payload) reply.append(emptyCopy(payload));
  } else if (stanza.name === "message" && (stanza.attrs.to ?? "").includes("@")) {
    const body = stanza.getChildText("body");
    if (body !== null) reply.append(xml("body", {}, truncateText(body, ECHOED_BODY_MAX)));
  }
  reply.append(error.toElement());
  return reply;
}

/**
 * A client's own text for an error sentence: in quotes, and shortened, so that a huge value does
 * not make a huge error stanza.
 */
export function quoted(text: string, max = 60): string {
  return `'${text.length > max ? `${text.slice(0, max)}…` : text}'`;
}

/** The element with its name, namespace and short attributes, without children. */
function emptyCopy(element: Element): Element {
  const attrs: Attrs = {};
  for (const [name, value] of Object.entries(element.attrs)) {
    if (value !== undefined && (name === "xmlns" || value.length <= ECHOED_ATTRIBUTE_MAX)) {
      attrs[name] = value;
    }
  }
  return xml(element.name, attrs);
}
