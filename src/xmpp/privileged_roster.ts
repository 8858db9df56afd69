/**
 * Reading and editing a user's roster on their server with the XEP-0356 roster privilege.
 *
 * One item per roster set: RFC 6121 §2.1.5 allows exactly one, and Prosody's mod_privilege
 * answers each item of a multi-item set separately (several replies to one id).
 *
 * @module
 */

import { NS_ROSTER } from "./namespaces.ts";
import { type Element, xml } from "./xml.ts";

/** Sends an iq and resolves with the reply (result or error); rejects on timeout. */
export type IqCaller = (iq: Element) => Promise<Element>;

/** A roster item as the server stores it. */
export interface RosterItem {
  jid: string;
  name?: string;
  subscription: "none" | "to" | "from" | "both" | "remove";
  groups: string[];
}

/** The server refused a roster request; `condition` is the stanza error condition. */
export class RosterRequestFailed extends Error {
  override name = "RosterRequestFailed";
  constructor(readonly condition: string, message: string) {
    super(message);
  }
}

/** Reads the user's roster (privileged `get`), by bare JID (lower-cased). */
export async function fetchRoster(
  call: IqCaller,
  user: string,
): Promise<Map<string, RosterItem>> {
  const reply = await call(
    xml("iq", { type: "get", to: user }, xml("query", { xmlns: NS_ROSTER })),
  );
  failOnError(reply, `reading the roster of ${user}`);
  const items = new Map<string, RosterItem>();
  for (const item of reply.getChild("query", NS_ROSTER)?.getChildren("item") ?? []) {
    const jid = item.attrs.jid?.toLowerCase();
    if (!jid) continue;
    const subscription = item.attrs.subscription;
    items.set(jid, {
      jid,
      name: item.attrs.name,
      subscription: subscription === "to" || subscription === "from" || subscription === "both"
        ? subscription
        : "none",
      groups: item.getChildren("group").map((group) => group.text()),
    });
  }
  return items;
}

/** Adds, updates or (with subscription `remove`) removes one item of the user's roster. */
export async function setRosterItem(call: IqCaller, user: string, item: RosterItem): Promise<void> {
  const reply = await call(
    xml(
      "iq",
      { type: "set", to: user },
      xml(
        "query",
        { xmlns: NS_ROSTER },
        xml(
          "item",
          { jid: item.jid, name: item.name, subscription: item.subscription },
          ...item.groups.map((group) => xml("group", {}, group)),
        ),
      ),
    ),
  );
  failOnError(
    reply,
    `${
      item.subscription === "remove" ? "removing" : "setting"
    } ${item.jid} in the roster of ${user}`,
  );
}

function failOnError(reply: Element, what: string): void {
  if (reply.attrs.type !== "error") return;
  const error = reply.getChild("error");
  const condition = error?.getChildElements().find((child) => child.name !== "text")?.name ??
    "undefined-condition";
  const text = error?.getChildText("text");
  throw new RosterRequestFailed(
    condition,
    `The server refused ${what}: ${condition}${text ? ` (${text})` : ""}`,
  );
}
