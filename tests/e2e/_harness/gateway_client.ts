/**
 * What a test user does with the gateway JID, as small helpers: run ad-hoc commands (XEP-0050)
 * step by step, register in band (XEP-0077), chat with the command interface, read errors and
 * results, and look into the gateway's KV file after it stopped.
 *
 * Why: registration and command tests repeat these stanzas dozens of times; spelling them out
 * each time would hide what a test is about.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { TestClient } from "./client.ts";
import { xml, type XmlElement } from "./xml.ts";

/** XEP-0050. */
export const NS_COMMANDS = "http://jabber.org/protocol/commands";
/** XEP-0077. */
export const NS_REGISTER = "jabber:iq:register";

/** Field values to submit: a string, or several for multi-valued fields. */
export type Submission = Record<string, string | string[]>;

/** A submitted XEP-0004 form. */
export function submitForm(fields: Submission): XmlElement {
  return xml(
    "x",
    { xmlns: "jabber:x:data", type: "submit" },
    ...Object.entries(fields).map(([name, value]) =>
      xml(
        "field",
        { var: name },
        ...(Array.isArray(value) ? value : [value]).map((v) => xml("value", {}, v)),
      )
    ),
  );
}

/** The registration form (XEP-0077 with a data form) submitted with an email and password. */
export function credentialsForm(email: string, password: string): XmlElement {
  return submitForm({ FORM_TYPE: NS_REGISTER, email, password });
}

/** The defined condition of an error reply, or undefined. */
export function errorCondition(stanza: XmlElement): string | undefined {
  return stanza.getChild("error")?.getChildElements().find((c) => c.name !== "text")?.name;
}

/** The `<text/>` of an error reply. */
export function errorText(stanza: XmlElement): string {
  return stanza.getChild("error")?.getChildText("text") ?? "";
}

/** An ad-hoc command being run by one client. */
export class AdhocRun {
  sessionid: string | undefined;
  constructor(readonly client: TestClient, readonly gateway: string, readonly node: string) {}

  /** Sends execute (first call) and returns the reply iq (result or error). */
  async execute(): Promise<XmlElement> {
    return await this.#send({ action: "execute" });
  }

  /** Submits a form with `action` (default: what the last form offered) and returns the reply. */
  async submit(fields: Submission, action = "next"): Promise<XmlElement> {
    assert.ok(this.sessionid, `${this.node}: no session to continue`);
    return await this.#send({ action, sessionid: this.sessionid }, submitForm(fields));
  }

  async #send(attrs: Record<string, string>, ...children: XmlElement[]): Promise<XmlElement> {
    const reply = await this.client.iq(
      xml(
        "iq",
        { type: "set", to: this.gateway },
        xml("command", { xmlns: NS_COMMANDS, node: this.node, ...attrs }, ...children),
      ),
      15_000,
    );
    const command = reply.getChild("command", NS_COMMANDS);
    if (command?.attrs.sessionid) this.sessionid = command.attrs.sessionid;
    return reply;
  }
}

/** The `<command/>` of a successful reply (asserting success). */
export function commandOf(reply: XmlElement): XmlElement {
  assert.equal(reply.attrs.type, "result", reply.toString());
  const command = reply.getChild("command", NS_COMMANDS);
  assert.ok(command, reply.toString());
  return command;
}

/** The form of an `executing` reply: its title and field names. */
export function formOf(reply: XmlElement): { title: string; fields: string[] } {
  const command = commandOf(reply);
  assert.equal(command.attrs.status, "executing", reply.toString());
  const x = command.getChild("x", "jabber:x:data");
  assert.ok(x, reply.toString());
  return {
    title: x.getChildText("title") ?? "",
    fields: x.getChildren("field").filter((f) => f.attrs.type !== "fixed").map((f) =>
      f.attrs.var ?? ""
    ),
  };
}

/** The note of a `completed` reply. */
export function noteOf(reply: XmlElement): string {
  const command = commandOf(reply);
  assert.equal(command.attrs.status, "completed", reply.toString());
  return command.getChildText("note") ?? "";
}

/** The table of a `completed` reply, one record per item. */
export function rowsOf(reply: XmlElement): Record<string, string>[] {
  const x = commandOf(reply).getChild("x", "jabber:x:data");
  assert.ok(x, `no result table in ${reply.toString()}`);
  return x.getChildren("item").map((item) =>
    Object.fromEntries(
      item.getChildren("field").map((field) => [field.attrs.var, field.getChildText("value")]),
    )
  );
}

/** Runs a command that needs no form (or whose forms get `submissions`) to its last reply. */
export async function runCommand(
  client: TestClient,
  gateway: string,
  node: string,
  ...submissions: Submission[]
): Promise<XmlElement> {
  const run = new AdhocRun(client, gateway, node);
  let reply = await run.execute();
  for (const fields of submissions) {
    const actions = commandOf(reply).getChild("actions");
    reply = await run.submit(fields, actions?.attrs.execute ?? "next");
  }
  return reply;
}

/** An XEP-0077 iq to the gateway (get, or set with children). */
export async function inBandRegistration(
  client: TestClient,
  gateway: string,
  type: "get" | "set",
  ...children: XmlElement[]
): Promise<XmlElement> {
  return await client.iq(
    xml("iq", { type, to: gateway }, xml("query", { xmlns: NS_REGISTER }, ...children)),
    15_000,
  );
}

/**
 * Sends a chat message to the gateway and returns the first message from it whose body matches
 * `expect` (other messages, e.g. a welcome note, stay buffered for later waits).
 */
export async function chatAsk(
  client: TestClient,
  gateway: string,
  text: string,
  expect: RegExp,
): Promise<string> {
  await client.send(xml("message", { type: "chat", to: gateway }, xml("body", {}, text)));
  const reply = await client.waitFor(
    (s) => s.is("message") && s.attrs.from === gateway && expect.test(s.getChildText("body") ?? ""),
    10_000,
    `a reply matching ${expect} to '${text.startsWith("correct") ? "(a password)" : text}'`,
  );
  return reply.getChildText("body") ?? "";
}

/** Sends a chat message to a contact and returns the error condition of the bounce, if any. */
export async function messageContactBounce(
  client: TestClient,
  contact: string,
): Promise<string | undefined> {
  const id = `m-${crypto.randomUUID()}`;
  await client.send(xml("message", { type: "chat", to: contact, id }, xml("body", {}, "hello")));
  const reply = await client.waitFor(
    (s) => s.is("message") && s.attrs.id === id,
    10_000,
    `the bounce of message ${id}`,
  );
  return errorCondition(reply);
}

/** Every key of a (closed) gateway KV file, as JSON. */
export async function kvKeys(path: string): Promise<string[]> {
  const kv = await Deno.openKv(path);
  try {
    const keys: string[] = [];
    for await (const entry of kv.list({ prefix: [] })) keys.push(JSON.stringify(entry.key));
    return keys;
  } finally {
    kv.close();
  }
}

/** Waits for a presence from the gateway JID whose status matches `status`. */
export async function gatewayStatus(
  client: TestClient,
  gateway: string,
  status: RegExp,
  timeoutMs = 15_000,
): Promise<string> {
  const presence = await client.waitFor(
    (s) =>
      s.is("presence") && s.attrs.from === gateway && s.attrs.type === undefined &&
      status.test(s.getChildText("status") ?? ""),
    timeoutMs,
    `a gateway presence with status ${status}`,
  );
  return presence.getChildText("status") ?? "";
}

/** XEP-0313. */
export const NS_MAM = "urn:xmpp:mam:2";

/**
 * The first page of a room's archive (XEP-0313 query on the room JID) as `id body` lines, oldest
 * first; throws with the error when the query is refused.
 */
export async function roomArchive(client: TestClient, room: string): Promise<string[]> {
  const queryid = `q-${crypto.randomUUID()}`;
  const done = await client.iq(
    xml("iq", { type: "set", to: room }, xml("query", { xmlns: NS_MAM, queryid })),
    15_000,
  );
  assert.equal(done.attrs.type, "result", done.toString());
  const results = client.pending().filter((s) =>
    s.getChild("result", NS_MAM)?.attrs.queryid === queryid
  );
  for (const result of results) await client.waitFor((s) => s === result, 1000);
  return results.map((s) => {
    const result = s.getChild("result", NS_MAM)!;
    const body = result.getChild("forwarded")?.getChild("message")?.getChildText("body");
    return `${result.attrs.id} ${body}`;
  });
}
