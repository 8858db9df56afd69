/**
 * A generated corpus of hostile stanzas (issue 12's suite), from a seed so a failure can be
 * replayed: what a registered but malicious user can send the gateway — malformed forms, unknown
 * namespaces, wrong iq types, huge bodies and attributes, invalid and escaped JIDs, other users'
 * message ids, commands out of order and from a non-admin, another user's room (join, message,
 * MAM, kick, disco, self-ping) — plus the free-form fuzz the robustness test always had. Each
 * entry says what the answer must be: a result, an error with one of some conditions, or just
 * "one answer, never internal-server-error".
 *
 * The attacker never unregisters themselves (no `<remove/>`, no unregister command), so every
 * expectation holds from the first stanza to the last.
 *
 * @module
 */

import { xml, type XmlElement } from "./xml.ts";

/** What the answer to an entry must be. */
export type Expectation =
  | { kind: "result" }
  | { kind: "error"; conditions: readonly string[] }
  | { kind: "any" };

/** One stanza of the corpus. */
export interface CorpusEntry {
  category: string;
  /** The stanza, or raw XML for what xmpp.js would not write (quotes left raw, odd escapes). */
  stanza: XmlElement | string;
  /** Set for iqs (answered exactly once) and for messages that must bounce (at most once). */
  id?: string;
  expect?: Expectation;
}

/** What the corpus is aimed at. */
export interface CorpusTargets {
  /** The gateway's domain. */
  gw: string;
  /** Contact JIDs of the attacker (Echo Bot, Bob). */
  contacts: string[];
  /** Another user's room JID (a group the attacker is not in). */
  othersRoom: string;
  /** Message ids another user received (Messenger ids). */
  othersMessageIds: string[];
}

/** mulberry32: small, fast, and the same sequence on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NS_COMMANDS = "http://jabber.org/protocol/commands";
const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
const NS_MAM = "urn:xmpp:mam:2";
const NS_MUC = "http://jabber.org/protocol/muc";
const NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin";
const NS_PING = "urn:xmpp:ping";
const NS_REACTIONS = "urn:xmpp:reactions:0";
const NS_RETRACT = "urn:xmpp:message-retract:1";
const NS_DATA = "jabber:x:data";

/** Namespaces and the element each one's payload really is (a fuzzed one is often right). */
const PAYLOADS: [string, string][] = [
  [NS_DISCO_INFO, "query"],
  ["http://jabber.org/protocol/disco#items", "query"],
  ["jabber:iq:search", "query"],
  ["jabber:iq:gateway", "query"],
  ["jabber:iq:version", "query"],
  ["jabber:iq:roster", "query"],
  [NS_PING, "ping"],
  ["vcard-temp", "vCard"],
  ["urn:xmpp:http:upload:0", "request"],
  ["urn:example:unknown", "query"],
];
const TEXTS = ["", " ", "hi", "😀".repeat(50), "x".repeat(25_000), "<b>&amp;</b>", "\u202e rtl"];
/** Commands only admins may run. */
const ADMIN_COMMANDS = ["list-users", "delete-user", "log-level", "statistics"];
/** Local parts that are not Messenger ids: escaped, odd, or plain wrong. */
const BAD_LOCALS = [
  "not-a-number",
  "a\\20b",
  "\\40evil",
  "%00",
  "0x1f",
  "-1",
  "1e9",
  "9".repeat(40),
  "abc\\5cdef",
  "..",
];

/** Generates `count` entries from `seed`, ids prefixed `h<n>`. */
export function hostileCorpus(seed: number, count: number, targets: CorpusTargets): CorpusEntry[] {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const maybe = (p = 0.5) => random() < p;
  const { gw } = targets;
  const contact = () => pick(targets.contacts);
  const entries: CorpusEntry[] = [];
  const iq = (
    n: number,
    category: string,
    type: string,
    to: string,
    children: XmlElement[],
    expect: Expectation,
  ): CorpusEntry => {
    const id = `h${n}`;
    return { category, id, expect, stanza: xml("iq", { type, to, id }, ...children) };
  };

  const generators: [number, (n: number) => CorpusEntry][] = [
    // Unknown namespaces, to the gateway and to contacts: nobody handles them.
    [10, (n) =>
      iq(
        n,
        "unknown namespace",
        pick(["get", "set"]),
        pick([gw, contact()]),
        [xml(pick(["query", "x", "data"]), { xmlns: `urn:example:hostile:${n % 97}` })],
        { kind: "error", conditions: ["service-unavailable"] },
      )],
    // Wrong iq types and shapes.
    [8, (n) => {
      const shape = pick(["type", "none", "two"]);
      const children = shape === "none"
        ? []
        : shape === "two"
        ? [xml("ping", { xmlns: NS_PING }), xml("query", { xmlns: NS_DISCO_INFO })]
        : [xml("ping", { xmlns: NS_PING })];
      const type = shape === "type" ? pick(["bogus", "GET", "submit", "headline"]) : "get";
      return iq(n, "wrong iq type or shape", type, pick([gw, contact()]), children, {
        kind: "error",
        conditions: ["bad-request"],
      });
    }],
    // Admin commands from a user who is not an admin.
    [6, (n) =>
      iq(
        n,
        "admin command from a non-admin",
        "set",
        gw,
        [xml("command", { xmlns: NS_COMMANDS, node: pick(ADMIN_COMMANDS), action: "execute" })],
        { kind: "error", conditions: ["forbidden"] },
      )],
    // Commands out of order: continuing what was never started, unknown sessions and actions.
    [8, (n) => {
      const variant = pick(["no session", "unknown session", "bad action", "no node"]);
      const attrs: Record<string, string> = { xmlns: NS_COMMANDS };
      if (variant !== "no node") attrs.node = pick(["info", "find", "contacts", "groups"]);
      if (variant === "no session") attrs.action = pick(["next", "prev", "complete"]);
      if (variant === "unknown session") {
        attrs.action = pick(["next", "complete", "execute"]);
        attrs.sessionid = pick(["", "bogus", "../../etc/passwd", `stolen-${n}`]);
      }
      if (variant === "bad action") attrs.action = pick(["bogus", "EXECUTE", "delete"]);
      // An empty sessionid is no session: `execute` then starts the command (its first step).
      const starts = attrs.sessionid === "" && attrs.action === "execute";
      return iq(
        n,
        "command out of order",
        "set",
        gw,
        [xml("command", attrs)],
        starts ? { kind: "any" } : { kind: "error", conditions: ["bad-request"] },
      );
    }],
    // Malformed search forms: the form must say what it is.
    [6, (n) =>
      iq(n, "malformed form", "set", gw, [
        xml(
          "query",
          { xmlns: "jabber:iq:search" },
          xml(
            "x",
            { xmlns: NS_DATA, type: pick(["submit", "form", "bogus", ""]) },
            ...(maybe()
              ? [xml("field", { var: pick(["", "FORM_TYPE", "bogus", "x".repeat(300)]) })]
              : []),
            ...(maybe(0.3) ? [xml("field", {}, xml("value", {}, pick(TEXTS)))] : []),
          ),
        ),
      ], { kind: "error", conditions: ["bad-request"] })],
    // Huge attributes: the answer is the answer, and small.
    [4, (n) =>
      iq(n, "huge attribute", "get", gw, [
        xml("query", { xmlns: NS_DISCO_INFO, junk: "j".repeat(20_000 + (n % 1000)) }),
      ], { kind: "result" })],
    // Invalid and escaped JIDs as contacts: no such contact.
    [6, (n) =>
      iq(
        n,
        "invalid or escaped contact JID",
        "get",
        `${pick(BAD_LOCALS)}@${gw}`,
        [xml("vCard", { xmlns: "vcard-temp" })],
        { kind: "error", conditions: ["item-not-found"] },
      )],
    // Another user's room: MAM, kick, disco, self-ping.
    [10, (n) => {
      const room = targets.othersRoom;
      const variant = pick(["mam", "kick", "disco", "self-ping"]);
      const children = variant === "mam"
        ? [xml("query", { xmlns: NS_MAM, queryid: `q${n}` })]
        : variant === "kick"
        ? [xml("query", { xmlns: NS_MUC_ADMIN }, xml("item", { nick: "Bob", role: "none" }))]
        : variant === "disco"
        ? [xml("query", { xmlns: NS_DISCO_INFO })]
        : [xml("ping", { xmlns: NS_PING })];
      const to = variant === "self-ping" ? `${room}/${pick(["Mallory", "Bob Builder"])}` : room;
      const type = variant === "mam" || variant === "kick" ? "set" : "get";
      // A room the sender is not in is, to them, the address of a stranger: disco describes
      // that address (as a contact, never the room: the test looks for the room's name in every
      // answer); nothing there offers an archive, a room's admin or a room's self-ping.
      return iq(
        n,
        `another user's room (${variant})`,
        type,
        to,
        children,
        variant === "disco"
          ? { kind: "result" }
          : { kind: "error", conditions: ["service-unavailable"] },
      );
    }],
    // Another user's room: join and message (no iq; nothing of the room may come back).
    [4, (n) => {
      const room = targets.othersRoom;
      return maybe()
        ? {
          category: "another user's room (join)",
          stanza: xml("presence", { to: `${room}/Mallory${n % 10}` }, xml("x", { xmlns: NS_MUC })),
        }
        : {
          category: "another user's room (message)",
          id: `h${n}`,
          stanza: xml(
            "message",
            { type: "groupchat", to: room, id: `h${n}` },
            xml("body", {}, `hostile ${n}`),
          ),
          // To the sender it is a contact's address, where group chat messages do not go.
          expect: { kind: "error", conditions: ["not-acceptable"] },
        };
    }],
    // Another user's message ids: a reaction or retraction on them is unknown to this user.
    [6, (n) => ({
      category: "another user's message id",
      id: `h${n}`,
      stanza: xml(
        "message",
        { type: "chat", to: contact(), id: `h${n}` },
        maybe()
          ? xml(
            "reactions",
            { xmlns: NS_REACTIONS, id: pick(targets.othersMessageIds) },
            xml("reaction", {}, "👍"),
          )
          : xml("retract", { xmlns: NS_RETRACT, id: pick(targets.othersMessageIds) }),
      ),
      expect: { kind: "error", conditions: ["item-not-found"] },
    })],
    // Huge bodies: refused, with the error small.
    [3, (n) => ({
      category: "huge body",
      id: `h${n}`,
      stanza: xml(
        "message",
        { type: "chat", to: contact(), id: `h${n}` },
        xml("body", {}, "b".repeat(25_000 + n % 5000)),
      ),
      expect: { kind: "error", conditions: ["not-acceptable"] },
    })],
    // Raw XML: quotes left raw in attributes, escapes in addresses: no such contact.
    [4, (n) => ({
      category: "raw odd XML",
      id: `h${n}`,
      stanza: `<iq type='get' to='${pick(BAD_LOCALS)}@${gw}' id='h${n}'>` +
        `<query xmlns='${NS_DISCO_INFO}' node='"&quot;${"&apos;".repeat(n % 50)}'/></iq>`,
      expect: { kind: "error", conditions: ["item-not-found"] },
    })],
    // The free-form fuzz of the first robustness test.
    [25, (n) => fuzz(n)],
  ];
  const total = generators.reduce((sum, [weight]) => sum + weight, 0);

  function fuzz(n: number): CorpusEntry {
    const to = pick([gw, ...targets.contacts, `999999@${gw}`, `not-a-number@${gw}`, `${gw}/res`]);
    const child = (): XmlElement => {
      const [ns, element] = pick(PAYLOADS);
      const name = maybe(0.8) ? element : pick(["query", "x", "vCard", "item"]);
      const attrs: Record<string, string> = { xmlns: ns };
      if (maybe()) attrs.node = pick(["", "info", "nope", "#"]);
      const kids = maybe()
        ? [xml(pick(["field", "x", "value", "item", "username"]), {
          var: pick(["email", "FORM_TYPE", "password", "cookies", "code", ""]),
        }, xml("value", {}, pick(TEXTS)))]
        : [];
      return xml(name, attrs, ...kids);
    };
    const kind = random();
    if (kind < 0.45) {
      const children = maybe(0.1) ? [] : maybe(0.1) ? [child(), child()] : [child()];
      return iq(n, "fuzz (iq)", pick(["get", "set"]), to, children, { kind: "any" });
    }
    if (kind < 0.85) {
      const extensions: XmlElement[] = [];
      if (maybe()) extensions.push(xml("body", {}, pick(TEXTS)));
      if (maybe(0.2)) {
        extensions.push(
          xml(
            "reactions",
            { xmlns: NS_REACTIONS, id: pick(["", "unknown", `h${n - 1}`]) },
            ...Array.from({ length: Math.floor(random() * 3) }, () => xml("reaction", {}, "👍")),
          ),
        );
      }
      if (maybe(0.2)) extensions.push(xml("retract", { xmlns: NS_RETRACT, id: "nope" }));
      if (maybe(0.2)) {
        extensions.push(xml("replace", { xmlns: "urn:xmpp:message-correct:0", id: "nope" }));
      }
      if (maybe(0.2)) {
        extensions.push(
          xml(
            "x",
            { xmlns: "jabber:x:oob" },
            xml("url", {}, pick(["file:///etc/passwd", "http://127.0.0.1:1/x", "nope", ""])),
          ),
        );
      }
      if (maybe(0.2)) {
        extensions.push(
          xml(pick(["composing", "paused", "active"]), {
            xmlns: "http://jabber.org/protocol/chatstates",
          }),
        );
      }
      if (maybe(0.1)) extensions.push(xml("encrypted", { xmlns: "urn:xmpp:omemo:2" }));
      return {
        category: "fuzz (message)",
        stanza: xml(
          "message",
          {
            to,
            id: `h${n}`,
            type: pick(["chat", "normal", "groupchat", "headline", "error", "bogus"]),
          },
          ...extensions,
        ),
      };
    }
    const type = pick([undefined, "unavailable", "probe", "subscribe", "subscribed", "error"]);
    return {
      category: "fuzz (presence)",
      stanza: xml("presence", { to, ...(type ? { type } : {}) }),
    };
  }

  for (let n = 0; n < count; n++) {
    let roll = random() * total;
    const found = generators.find(([weight]) => (roll -= weight) < 0) ?? generators[0];
    entries.push(found[1](n));
  }
  return entries;
}
