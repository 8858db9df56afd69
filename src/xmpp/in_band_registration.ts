/**
 * XEP-0077 in-band registration on the gateway JID (`jabber:iq:register`), for clients that
 * register with a transport through its registration form (Gajim, Psi, Movim, slixmpp…).
 *
 * `get` answers instructions, the legacy `<username/>` (the Facebook email) and `<password/>`
 * fields and the same XEP-0004 form as the register command (email, password, cookies), plus
 * `<registered/>` for a registered user. `set` registers (or renews a registered user's login) in
 * one step; when Messenger asks for a two-factor code — which a one-step form cannot ask for —
 * the pending login is cancelled and the error points to the register command. `<remove/>`
 * unregisters.
 *
 * Errors: a JID outside `gateway.allowed_jids` gets `not-allowed` (as slidge answers); refused
 * credentials and checkpoints `not-authorized`; missing or bad input and the two-factor case
 * `not-acceptable` (XEP-0077 §3.1: "required information is missing"); `<remove/>` from someone
 * not registered `registration-required` (XEP-0077 §3.2, unregister error cases). Every error
 * carries a sentence; none ever quotes a submitted value.
 *
 * @module
 */

import type { Field, FormValues } from "../gateway/command.ts";
import { failureAsStanzaError } from "./command_failure.ts";
import { NS_DATA_FORMS, parseSubmittedForm, renderForm } from "./data_form.ts";
import type { Router } from "./router.ts";
import { StanzaError } from "./stanza_error.ts";
import { type Element, xml } from "./xml.ts";

/** XEP-0077 in-band registration. */
export const NS_REGISTER = "jabber:iq:register";

/** What in-band registration needs from the gateway core. */
export interface InBandRegistrationOptions {
  /** The component's domain (named in the two-factor sentence). */
  domain: string;
  /** The registration form (the register command's first step). */
  form: { title: string; instructions: string; fields: readonly Field[] };
  isRegistered(bareJid: string): boolean;
  /** May register: matches `gateway.allowed_jids`, or is an admin. */
  isAllowed(bareJid: string): boolean;
  /**
   * Registers with the submitted values in one step. Throws a `CommandError` for what the user
   * can correct (bad input, refused credentials, not allowed, Messenger unavailable).
   */
  register(bareJid: string, values: FormValues): Promise<"registered" | "two_factor_required">;
  /** Unregisters; false when the JID was not registered. */
  unregister(bareJid: string): Promise<boolean>;
}

const NOT_ALLOWED = "This gateway is not open to your address: ask its administrator";

/** Registers the `jabber:iq:register` get and set handlers on the gateway JID. */
export function registerInBandRegistration(
  router: Router,
  options: InBandRegistrationOptions,
): void {
  const fields: Field[] = [
    { name: "FORM_TYPE", type: "hidden", value: NS_REGISTER },
    ...options.form.fields,
  ];

  router.iq("gateway", "get", NS_REGISTER, "query", ({ from }) => {
    const registered = options.isRegistered(from.bare);
    if (!registered && !options.isAllowed(from.bare)) {
      throw new StanzaError("not-allowed", NOT_ALLOWED);
    }
    const instructions = registered
      ? `You are registered. Submit this form again to renew your Messenger login. ${options.form.instructions}`
      : options.form.instructions;
    return xml(
      "query",
      { xmlns: NS_REGISTER },
      registered ? xml("registered") : null,
      xml("instructions", {}, instructions),
      xml("username"),
      xml("password"),
      renderForm({ title: options.form.title, instructions, fields }),
    );
  });

  router.iq("gateway", "set", NS_REGISTER, "query", async ({ payload, from }) => {
    const jid = from.bare;
    const children = payload.getChildElements();
    if (payload.getChild("remove")) {
      if (children.length !== 1) {
        throw new StanzaError("bad-request", "<remove/> must be the only child of the query");
      }
      if (!(await options.unregister(jid))) {
        throw new StanzaError(
          "registration-required",
          "You are not registered with this gateway, so there is nothing to remove",
        );
      }
      return;
    }
    if (!options.isAllowed(jid)) throw new StanzaError("not-allowed", NOT_ALLOWED);
    const values = submittedValues(payload, fields);
    let outcome;
    try {
      outcome = await options.register(jid, values);
    } catch (error) {
      throw failureAsStanzaError(error, { node: NS_REGISTER, jid }, {
        forbidden: "not-allowed",
        bad_input: "not-acceptable",
      });
    }
    if (outcome === "two_factor_required") {
      throw new StanzaError(
        "not-acceptable",
        "Messenger asks for a two-factor code, which this registration form cannot ask for. " +
          "Register with your client's command 'Register' (ad-hoc command jabber:iq:register " +
          `on ${options.domain}) instead, or send 'register' in a chat with ${options.domain}`,
      );
    }
  });
}

/**
 * The values of a set: the data form when there is one (a malformed form is a `bad-request`),
 * else the legacy fields, `<username/>` (or `<email/>`) standing for the Facebook email.
 */
function submittedValues(payload: Element, fields: readonly Field[]): FormValues {
  const form = payload.getChild("x", NS_DATA_FORMS);
  if (form) return parseSubmittedForm(form, fields);
  const values: FormValues = {};
  const email = (payload.getChildText("username") ?? payload.getChildText("email") ?? "").trim();
  const password = payload.getChildText("password") ?? "";
  if (email !== "") values.email = email;
  if (password !== "") values.password = password;
  return values;
}
