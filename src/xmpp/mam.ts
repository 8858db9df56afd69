/**
 * XEP-0313 message archive management (`urn:xmpp:mam:2`, with `#extended`) on room JIDs: the
 * query a client sends, read into a typed {@link MamQuery}, and the stanzas that answer it — one
 * `<result>` message per archived message, then `<fin>` in the iq result — plus the form and
 * metadata answers of a `get`.
 *
 * Bad input is refused with the condition XEP-0313 names: `bad-request` for a malformed form,
 * date or RSM set, `feature-not-implemented` for a field or paging mode the archive does not
 * support, and `item-not-found` for an archive id the archive does not hold ({@link mamError}, from
 * the store's {@link UnknownArchiveIdError}).
 *
 * This module knows nothing of rooms: the caller maps `with` (a JID) to a nick, queries the
 * archive, and builds the inner `<message type='groupchat' from='room/nick'>` of each result.
 *
 * @module
 */

import { UnknownArchiveIdError } from "../store/room_archive.ts";
import { NS_DATA_FORMS, renderForm } from "./data_form.ts";
import { formatDateTime, parseDateTime } from "./date_time.ts";
import { parseJid } from "./jid.ts";
import {
  NS_CLIENT,
  NS_DATA_VALIDATE,
  NS_DELAY,
  NS_FORWARD,
  NS_MAM,
  NS_MAM_EXTENDED,
  NS_RSM,
} from "./namespaces.ts";
import { parseResultSet, resultSetElement } from "./result_set.ts";
import { quoted, StanzaError } from "./stanza_error.ts";
import { cloneElement, type Element, xml } from "./xml.ts";

/** The disco#info features of an archive that supports everything this module reads. */
export const MAM_FEATURES: readonly string[] = [NS_MAM, NS_MAM_EXTENDED];

/** Page size when the client gives no `<max/>` (Prosody's default is 20, clients ask 20–100). */
export const DEFAULT_MAM_PAGE = 50;

/** The largest page sent at once; a larger `<max/>` gets this many and `complete='false'`. */
export const MAX_MAM_PAGE = 250;

/** The most ids one query may name in its `ids` field. */
export const MAX_MAM_IDS = 250;

/** The longest `queryid` echoed back. */
const MAX_QUERY_ID_LENGTH = 256;

/** The form fields the archive understands (besides FORM_TYPE). */
const FIELDS = ["with", "start", "end", "before-id", "after-id", "ids"] as const;

/** A client's archive query, checked. Times are ms since the epoch (possibly with a fraction). */
export interface MamQuery {
  /** Echoed in each result (`queryid`). */
  queryId?: string;
  /** The `with` JID, normalised: a room occupant (`room@component/nick`) or the room itself. */
  with?: string;
  /** Only messages at or after this time. */
  start?: number;
  /** Only messages at or before this time. */
  end?: number;
  /** Only messages after this archive id (exclusive). */
  afterId?: string;
  /** Only messages before this archive id (exclusive). */
  beforeId?: string;
  /** Only these archive ids. */
  ids?: string[];
  /** Page size, already limited to the server's maximum. */
  max: number;
  /** RSM: the page after this archive id. */
  after?: string;
  /** RSM: the page before this archive id; `""` for the last page. */
  before?: string;
  /** Send the page newest first. */
  flip: boolean;
}

/** Page sizes; the defaults are {@link DEFAULT_MAM_PAGE} and {@link MAX_MAM_PAGE}. */
export interface MamLimits {
  defaultMax?: number;
  maxMax?: number;
}

/**
 * Reads the `<query xmlns='urn:xmpp:mam:2'>` of an `iq type='set'`. Throws StanzaError
 * (`bad-request`, `feature-not-implemented`, `policy-violation`) naming what is wrong.
 */
export function parseMamQuery(query: Element, limits: MamLimits = {}): MamQuery {
  if (!query.is("query", NS_MAM)) {
    throw new StanzaError("bad-request", `Expected an archive query, not <${query.name}/>`);
  }
  if (query.attrs.node !== undefined) {
    throw new StanzaError("feature-not-implemented", "This archive has no nodes");
  }
  const queryId = query.attrs.queryid;
  if (queryId !== undefined && queryId.length > MAX_QUERY_ID_LENGTH) {
    throw new StanzaError(
      "bad-request",
      `The queryid is too long: at most ${MAX_QUERY_ID_LENGTH} characters`,
    );
  }

  const forms = query.getChildren("x", NS_DATA_FORMS);
  if (forms.length > 1) throw new StanzaError("bad-request", "The query has more than one form");
  const filters = forms.length === 1 ? parseFilters(forms[0]) : {};

  const sets = query.getChildren("set", NS_RSM);
  if (sets.length > 1) {
    throw new StanzaError("bad-request", "The query has more than one result set request");
  }
  const paging = parseResultSet(sets[0]);
  const maxMax = limits.maxMax ?? MAX_MAM_PAGE;
  return {
    ...(queryId === undefined ? {} : { queryId }),
    ...filters,
    max: Math.min(paging.max ?? limits.defaultMax ?? DEFAULT_MAM_PAGE, maxMax),
    ...(paging.after === undefined ? {} : { after: paging.after }),
    ...(paging.before === undefined ? {} : { before: paging.before }),
    flip: query.getChild("flip-page", NS_MAM) !== undefined,
  };
}

type Filters = Pick<MamQuery, "with" | "start" | "end" | "afterId" | "beforeId" | "ids">;

/** Reads the data form of a query into its filters. */
function parseFilters(form: Element): Filters {
  if (form.attrs.type !== undefined && form.attrs.type !== "submit") {
    throw new StanzaError(
      "bad-request",
      `The query form must be of type 'submit', not ${quoted(form.attrs.type)}`,
    );
  }
  const values = new Map<string, string[]>();
  for (const field of form.getChildren("field")) {
    const name = field.attrs.var;
    if (name === undefined) {
      throw new StanzaError("bad-request", "A field of the query form has no name");
    }
    if (values.has(name)) {
      throw new StanzaError("bad-request", `The query form has the field ${quoted(name)} twice`);
    }
    values.set(
      name,
      field.getChildren("value").map((value) => value.getText().trim()).filter((text) =>
        text !== ""
      ),
    );
  }

  const formType = values.get("FORM_TYPE");
  if (formType === undefined || formType.length === 0) {
    throw new StanzaError("bad-request", `The query form needs a FORM_TYPE of ${NS_MAM}`);
  }
  if (formType.length > 1 || formType[0] !== NS_MAM) {
    throw new StanzaError(
      "bad-request",
      `The query form's FORM_TYPE must be ${NS_MAM}, not ${quoted(formType.join(", "))}`,
    );
  }
  values.delete("FORM_TYPE");
  for (const name of values.keys()) {
    if (!(FIELDS as readonly string[]).includes(name)) {
      throw new StanzaError(
        "feature-not-implemented",
        `The archive does not support the field ${quoted(name)}`,
      );
    }
  }

  const single = (name: (typeof FIELDS)[number]): string | undefined => {
    const texts = values.get(name) ?? [];
    if (texts.length > 1) {
      throw new StanzaError(
        "bad-request",
        `The field '${name}' takes one value, not ${texts.length}`,
      );
    }
    return texts[0];
  };
  const filters: Filters = {};
  const withText = single("with");
  if (withText !== undefined) {
    const jid = parseJid(withText);
    if (jid === null) throw new StanzaError("bad-request", "The field 'with' is not a valid JID");
    filters.with = jid.full;
  }
  for (const name of ["start", "end"] as const) {
    const text = single(name);
    if (text === undefined) continue;
    const time = parseDateTime(text);
    if (time === null) {
      throw new StanzaError(
        "bad-request",
        `The field '${name}' is not a XEP-0082 date and time (like 2026-01-10T12:00:00Z): ${
          quoted(text)
        }`,
      );
    }
    filters[name] = time;
  }
  const afterId = single("after-id");
  if (afterId !== undefined) filters.afterId = afterId;
  const beforeId = single("before-id");
  if (beforeId !== undefined) filters.beforeId = beforeId;
  const ids = values.get("ids") ?? [];
  if (ids.length > MAX_MAM_IDS) {
    throw new StanzaError(
      "policy-violation",
      `At most ${MAX_MAM_IDS} ids per query, not ${ids.length}`,
    );
  }
  if (ids.length > 0) filters.ids = ids;
  return filters;
}

/** One archived message as a query result. */
export interface MamResult {
  /** The querying user's full JID. */
  to: string;
  /** The archive's JID (the room). */
  from: string;
  /** The query's `queryid`, when it had one. */
  queryId?: string;
  /** The message's archive id (its `stanza-id`). */
  archiveId: string;
  /** When the message was sent (ms since the epoch): the delay stamp. */
  timestamp: number;
  /** The archived message as the room sends it (`type='groupchat'`, from the occupant). */
  message: Element;
  /** An id for the wrapping message, if the caller wants one. */
  id?: string;
}

/**
 * `<message to=user from=room><result queryid id><forwarded><delay stamp/>{message}</forwarded>
 * </result></message>`. The inner message is copied with `xmlns='jabber:client'` and without a
 * `to`, as XEP-0313 §5.1.2 requires of MUC archives.
 */
export function mamResultMessage(result: MamResult): Element {
  const inner = cloneElement(result.message);
  inner.attrs.xmlns = NS_CLIENT;
  delete inner.attrs.to;
  return xml(
    "message",
    { to: result.to, from: result.from, id: result.id },
    xml(
      "result",
      { xmlns: NS_MAM, queryid: result.queryId, id: result.archiveId },
      xml(
        "forwarded",
        { xmlns: NS_FORWARD },
        xml("delay", { xmlns: NS_DELAY, stamp: formatDateTime(result.timestamp) }),
        inner,
      ),
    ),
  );
}

/** What the `<fin>` of a query says: the store's page, without its messages. */
export interface MamFin {
  complete: boolean;
  first?: string;
  firstIndex?: number;
  last?: string;
  count?: number;
}

/** The payload of the iq result ending a query: `<fin complete><set>first/last/count</set></fin>`. */
export function mamFin(fin: MamFin): Element {
  return xml(
    "fin",
    { xmlns: NS_MAM, complete: fin.complete ? "true" : "false" },
    resultSetElement(fin),
  );
}

/** The answer to `<iq type='get'><query xmlns='urn:xmpp:mam:2'/></iq>`: the fields it supports. */
export function mamQueryForm(): Element {
  const form = renderForm({
    title: "Search the archive",
    fields: [
      { name: "FORM_TYPE", type: "hidden", value: NS_MAM },
      { name: "with", type: "jid-single", label: "From this occupant" },
      { name: "start", type: "text-single", label: "Sent at or after (XEP-0082 date and time)" },
      { name: "end", type: "text-single", label: "Sent at or before (XEP-0082 date and time)" },
      { name: "before-id", type: "text-single", label: "Before the message with this id" },
      { name: "after-id", type: "text-single", label: "After the message with this id" },
      { name: "ids", type: "list-multi", label: "The messages with these ids" },
    ],
  });
  // XEP-0313 §4.1.5: the ids list is open, which XEP-0122 says with <validate><open/>.
  form.getChildren("field").find((field) => field.attrs.var === "ids")?.append(
    xml("validate", { xmlns: NS_DATA_VALIDATE, datatype: "xs:string" }, xml("open")),
  );
  return xml("query", { xmlns: NS_MAM }, form);
}

/** The oldest and newest message of an archive, for its metadata. */
export interface MamBounds {
  first: { id: string; timestamp: number };
  last: { id: string; timestamp: number };
}

/** The answer to `<iq type='get'><metadata xmlns='urn:xmpp:mam:2'/></iq>` (empty archive: null). */
export function mamMetadata(bounds: MamBounds | null): Element {
  return xml(
    "metadata",
    { xmlns: NS_MAM },
    bounds === null ? null : [
      xml("start", { id: bounds.first.id, timestamp: formatDateTime(bounds.first.timestamp) }),
      xml("end", { id: bounds.last.id, timestamp: formatDateTime(bounds.last.timestamp) }),
    ],
  );
}

/**
 * The StanzaError for an error from querying the archive: an archive id it does not hold is
 * `item-not-found` (XEP-0313 §4.1.3, §4.3.2); anything else is returned unchanged (to be
 * rethrown: the router answers `internal-server-error` and logs it).
 */
export function mamError(error: unknown): unknown {
  if (error instanceof UnknownArchiveIdError) {
    return new StanzaError(
      "item-not-found",
      `No message with the id ${quoted(error.id)} in this archive`,
    );
  }
  return error;
}
