/**
 * XEP-0100 contact addressing (`jabber:iq:gateway`) on the gateway JID: a client asks how to
 * address a Messenger user and gets their contact JID, e.g. from an "add contact" dialog.
 *
 * `get` answers `<desc/>` and `<prompt/>`; `set` with `<prompt>` — a numeric Messenger id (works
 * for anyone, no lookup) or a name (searched with the caller's Messenger session, so it needs a
 * registration) — answers `<jid/>`. Nobody matching → `item-not-found`.
 *
 * @module
 */

import { failureAsStanzaError } from "./command_failure.ts";
import type { Router } from "./router.ts";
import { StanzaError } from "./stanza_error.ts";
import { xml } from "./xml.ts";

/** XEP-0100 jabber:iq:gateway. */
export const NS_GATEWAY = "jabber:iq:gateway";

/** What contact addressing needs from the gateway core. */
export interface ContactAddressingOptions {
  /**
   * The contact JID for what the user typed, `null` when nobody matches. Throws a `CommandError`
   * (e.g. `registration_required` for a name from someone not registered).
   */
  resolve(bareJid: string, prompt: string): Promise<string | null>;
}

/** Registers the `jabber:iq:gateway` get and set handlers on the gateway JID. */
export function registerContactAddressing(router: Router, options: ContactAddressingOptions): void {
  router.iq("gateway", "get", NS_GATEWAY, "query", () =>
    xml(
      "query",
      { xmlns: NS_GATEWAY },
      xml("desc", {}, "Enter the name or the numeric Messenger id of the person to add"),
      xml("prompt", {}, "Name or Messenger id"),
    ));

  router.iq("gateway", "set", NS_GATEWAY, "query", async ({ payload, from }) => {
    const prompt = payload.getChildText("prompt")?.trim() ?? "";
    if (prompt === "") {
      throw new StanzaError("bad-request", "Give a name or a Messenger id in <prompt/>");
    }
    let jid: string | null;
    try {
      jid = await options.resolve(from.bare, prompt);
    } catch (error) {
      throw failureAsStanzaError(error, { node: NS_GATEWAY, jid: from.bare });
    }
    if (jid === null) {
      throw new StanzaError("item-not-found", `Nobody on Messenger matches '${prompt}'`);
    }
    return xml("query", { xmlns: NS_GATEWAY }, xml("jid", {}, jid));
  });
}
