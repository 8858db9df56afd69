/**
 * Reflecting what the user did in the official Messenger app to their XMPP clients, with the
 * XEP-0356 message privilege, and recognising the copy the server routes back.
 *
 * A message the user sent from their phone must appear in their XMPP clients as *sent by them*,
 * which only their server can do: the gateway (granted `message="outgoing"`) sends
 * `<message to="server"><privilege xmlns="urn:xmpp:privilege:2"><forwarded
 * xmlns="urn:xmpp:forward:0"><message from="user@server" to="contact@gateway" …>` and the server
 * delivers the inner message as if the user had sent it: carbon copies to the user's clients,
 * their archive — and, like any message to a contact, routing it to the contact's JID, which is
 * the gateway itself (seen with Prosody 0.12).
 *
 * That returning copy must not be sent to Messenger again. Recognising it: every injected inner
 * message carries `<injected xmlns="urn:x-messenger-gateway:injected:0" by="<gateway domain>"/>`,
 * an element in a namespace of this gateway that servers forward untouched and clients ignore;
 * {@link isOwnInjectedCopy} checks for it. Only the user's own server can send a message from the
 * user, so the marker can only come from the gateway or from the user's own client; a user who
 * forges it only hides their own message, so no secret is needed, and it works across restarts
 * (unlike a set of remembered ids).
 *
 * @module
 */

import { NS_CLIENT, NS_FORWARD, NS_GATEWAY_INJECTED, NS_PRIVILEGE } from "./namespaces.ts";
import { cloneElement, type Element, xml } from "./xml.ts";

/** Where a privileged message goes and comes from. */
export interface PrivilegeRoute {
  /** The user's server (the domain of their JID), which granted the privilege. */
  serverDomain: string;
  /** The gateway's own domain. */
  gatewayDomain: string;
  /** Id of the outer message; random when absent. */
  id?: string;
  /** The XEP-0356 namespace the server granted in (default `urn:xmpp:privilege:2`). */
  namespace?: string;
}

/**
 * Wraps a message from the user (`from` = the user's bare JID, `to` = a contact) for the server
 * to deliver as theirs. The inner message is copied, given `xmlns="jabber:client"` and the
 * injection marker; the argument is left unchanged.
 */
export function buildPrivilegedCarbon(inner: Element, route: PrivilegeRoute): Element {
  const copy = cloneElement(inner);
  copy.attrs.xmlns = NS_CLIENT;
  copy.append(xml("injected", { xmlns: NS_GATEWAY_INJECTED, by: route.gatewayDomain }));
  return xml(
    "message",
    { to: route.serverDomain, from: route.gatewayDomain, id: route.id ?? crypto.randomUUID() },
    xml(
      "privilege",
      { xmlns: route.namespace ?? NS_PRIVILEGE },
      xml("forwarded", { xmlns: NS_FORWARD }, copy),
    ),
  );
}

/**
 * True for a message this gateway injected (see the module documentation) that came back to
 * it: the gateway must drop it silently, neither forwarding nor answering it.
 */
export function isOwnInjectedCopy(stanza: Element, gatewayDomain: string): boolean {
  if (stanza.name !== "message") return false;
  return stanza.getChildren("injected", NS_GATEWAY_INJECTED).some((marker) =>
    marker.attrs.by?.toLowerCase() === gatewayDomain.toLowerCase()
  );
}
