/**
 * XEP-0055 search (`jabber:iq:search`) on the gateway JID: registered users find Messenger users
 * by name and get their contact JIDs, from their client's "search directory" dialog.
 *
 * `get` answers instructions, the legacy `<nick/>` field and a XEP-0004 form with a `name` field;
 * `set` with that form answers a result form (`jid` and `name` columns), and with the legacy
 * `<nick/>` (or `<first/>`/`<last/>`) legacy `<item/>`s. Someone not registered gets
 * `registration-required`; an empty query `bad-request`.
 *
 * @module
 */

import type { Field } from "../gateway/command.ts";
import { failureAsStanzaError } from "./command_failure.ts";
import { NS_DATA_FORMS, parseSubmittedForm, renderForm } from "./data_form.ts";
import type { Router } from "./router.ts";
import { StanzaError } from "./stanza_error.ts";
import { type Element, xml } from "./xml.ts";

/** XEP-0055 search. */
export const NS_SEARCH = "jabber:iq:search";

/** A Messenger user found, as the search answers it. */
export interface SearchHit {
  jid: string;
  name: string;
}

/** What search needs from the gateway core. */
export interface UserSearchOptions {
  isRegistered(bareJid: string): boolean;
  /** Searches with the caller's Messenger session; throws a `CommandError` when it cannot. */
  search(bareJid: string, query: string): Promise<SearchHit[]>;
}

const INSTRUCTIONS = "Find people on Messenger by name; write to the address found to chat " +
  "with them.";

const FIELDS: Field[] = [
  { name: "FORM_TYPE", type: "hidden", value: NS_SEARCH },
  { name: "name", type: "text-single", label: "Name", required: true },
];

/** Registers the `jabber:iq:search` get and set handlers on the gateway JID. */
export function registerUserSearch(router: Router, options: UserSearchOptions): void {
  const requireRegistered = (jid: string) => {
    if (!options.isRegistered(jid)) {
      throw new StanzaError(
        "registration-required",
        "Register with this gateway first: searching uses your Messenger account",
      );
    }
  };

  router.iq("gateway", "get", NS_SEARCH, "query", ({ from }) => {
    requireRegistered(from.bare);
    return xml(
      "query",
      { xmlns: NS_SEARCH },
      xml("instructions", {}, INSTRUCTIONS),
      xml("nick"),
      renderForm({ title: "Search Messenger users", instructions: INSTRUCTIONS, fields: FIELDS }),
    );
  });

  router.iq("gateway", "set", NS_SEARCH, "query", async ({ payload, from }) => {
    requireRegistered(from.bare);
    const form = payload.getChild("x", NS_DATA_FORMS);
    const query = form ? String(parseSubmittedForm(form, FIELDS).name ?? "") : legacyQuery(payload);
    if (query.trim() === "") {
      throw new StanzaError("bad-request", "Name: give a name to search for");
    }
    let hits: SearchHit[];
    try {
      hits = await options.search(from.bare, query);
    } catch (error) {
      throw failureAsStanzaError(error, { node: NS_SEARCH, jid: from.bare });
    }
    return xml("query", { xmlns: NS_SEARCH }, form ? resultForm(hits) : legacyItems(hits));
  });
}

function legacyQuery(payload: Element): string {
  return ["nick", "first", "last"]
    .map((name) => payload.getChildText(name)?.trim() ?? "")
    .filter((text) => text !== "")
    .join(" ");
}

function resultForm(hits: SearchHit[]): Element {
  return xml(
    "x",
    { xmlns: NS_DATA_FORMS, type: "result" },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS_SEARCH)),
    xml(
      "reported",
      {},
      xml("field", { var: "jid", label: "XMPP address", type: "jid-single" }),
      xml("field", { var: "name", label: "Name", type: "text-single" }),
    ),
    hits.map((hit) =>
      xml(
        "item",
        {},
        xml("field", { var: "jid" }, xml("value", {}, hit.jid)),
        xml("field", { var: "name" }, xml("value", {}, hit.name)),
      )
    ),
  );
}

function legacyItems(hits: SearchHit[]): Element[] {
  return hits.map((hit) => xml("item", { jid: hit.jid }, xml("nick", {}, hit.name)));
}
