/**
 * A {@link StanzaError} that also carries an application-specific condition (RFC 6120 §8.3.4),
 * such as XEP-0050's `<bad-sessionid/>`: clients read it to tell apart errors that share a
 * general condition (a stale session vs. a wrong form, both `bad-request`).
 *
 * @module
 */

import { StanzaError, type StanzaErrorCondition, type StanzaErrorType } from "./stanza_error.ts";
import { type Element, xml } from "./xml.ts";

/** Thrown like a StanzaError; its `<error>` gets `<condition xmlns=namespace/>` appended. */
export class ApplicationStanzaError extends StanzaError {
  override name = "ApplicationStanzaError";
  constructor(
    condition: StanzaErrorCondition,
    readonly applicationCondition: { name: string; xmlns: string },
    text?: string,
    type?: StanzaErrorType,
  ) {
    super(condition, text, type);
  }

  override toElement(by?: string): Element {
    const error = super.toElement(by);
    error.append(xml(this.applicationCondition.name, { xmlns: this.applicationCondition.xmlns }));
    return error;
  }
}
