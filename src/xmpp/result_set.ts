/**
 * XEP-0059 result set management: the `<set xmlns='http://jabber.org/protocol/rsm'>` a client pages
 * with, and the one a result describes its page with. Used by MAM (src/xmpp/mam.ts).
 *
 * Paging is by item id (`after`, `before`, an empty `<before/>` for the last page); paging by
 * `<index>` is refused with `feature-not-implemented`, as XEP-0059 §2.5 allows when jumping to an
 * index is expensive (it is here: the archive is a key range, not an array).
 *
 * @module
 */

import { NS_RSM } from "./namespaces.ts";
import { quoted, StanzaError } from "./stanza_error.ts";
import { type Element, xml } from "./xml.ts";

/** What a client asks for. */
export interface ResultSetRequest {
  /** Page size asked for (not yet limited by the server). */
  max?: number;
  /** The page after this item id. */
  after?: string;
  /** The page before this item id; `""` (an empty `<before/>`) for the last page. */
  before?: string;
}

/** What a result says about its page. */
export interface ResultSetPage {
  /** Id of the first item of the page; absent for an empty page. */
  first?: string;
  /** Position of `first` in the full result set. */
  firstIndex?: number;
  /** Id of the last item of the page; absent for an empty page. */
  last?: string;
  /** Number of items in the full result set. */
  count?: number;
}

/**
 * Reads a request's `<set/>` (none: no paging asked). Throws StanzaError `bad-request` for a
 * malformed or repeated element and `feature-not-implemented` for `<index/>`.
 */
export function parseResultSet(set: Element | undefined): ResultSetRequest {
  if (set === undefined) return {};
  const request: ResultSetRequest = {};
  const seen = new Set<string>();
  for (const child of set.getChildElements()) {
    if (seen.has(child.name)) {
      throw new StanzaError(
        "bad-request",
        `The result set request has more than one <${child.name}/>`,
      );
    }
    seen.add(child.name);
    const text = child.getText().trim();
    switch (child.name) {
      case "max":
        if (!/^\d{1,9}$/.test(text)) {
          throw new StanzaError(
            "bad-request",
            `The result set <max/> must be a number ≥ 0, not ${quoted(text)}`,
          );
        }
        request.max = Number(text);
        break;
      case "after":
        if (text === "") {
          throw new StanzaError("bad-request", "The result set <after/> must name an item");
        }
        request.after = text;
        break;
      case "before":
        request.before = text;
        break;
      case "index":
        throw new StanzaError(
          "feature-not-implemented",
          "Paging by index is not supported: page with <after/> or <before/>",
        );
    }
  }
  return request;
}

/** The `<set/>` describing a page: `<first index>`, `<last>`, `<count>` as far as given. */
export function resultSetElement(page: ResultSetPage): Element {
  return xml(
    "set",
    { xmlns: NS_RSM },
    page.first === undefined ? null : xml(
      "first",
      { index: page.firstIndex === undefined ? undefined : String(page.firstIndex) },
      page.first,
    ),
    page.last === undefined ? null : xml("last", {}, page.last),
    page.count === undefined ? null : xml("count", {}, String(page.count)),
  );
}
