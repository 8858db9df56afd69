/**
 * An independent XMPP client (Python slixmpp) for e2e tests.
 *
 * Why: xmpp.js is lenient in ways other clients are not; sending the same iqs from slixmpp (e.g. an
 * XEP-0077 registration with the gateway) proves the gateway speaks XMPP, not just "xmpp.js".
 * The Python side is `slix_client.py` next to this file, run with Debian's `/usr/bin/python3`
 * (the one that has `python3-slixmpp`; a pyenv `python3` on PATH does not).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { ProsodyServer } from "./prosody.ts";
import { xml, type XmlElement } from "./xml.ts";

/** The Debian interpreter with python3-slixmpp installed. */
export const PYTHON = "/usr/bin/python3";

/** Path of the slixmpp helper script. */
export const SLIX_CLIENT: string = fileURLToPath(new URL("./slix_client.py", import.meta.url));

/** What a Python run produced. */
export interface PythonResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run a Python script with `/usr/bin/python3`, optional stdin text, bounded by `timeoutMs`
 * (default 30 s; the process is killed when it runs out). Never throws for a non-zero exit: the
 * caller decides.
 */
export async function runPython(
  script: string,
  args: string[] = [],
  opts: { stdin?: string; timeoutMs?: number } = {},
): Promise<PythonResult> {
  const child = new Deno.Command(PYTHON, {
    args: [script, ...args],
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
  }).spawn();
  if (opts.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(opts.stdin));
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** One element of the JSON tree `slix_client.py` prints. */
interface JsonTree {
  name: string;
  ns: string;
  attrs: Record<string, string>;
  children: Array<JsonTree | string>;
}

/** Rebuild an element from the helper's JSON tree, declaring namespaces where they change. */
function fromTree(t: JsonTree, parentNs: string): XmlElement {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(t.attrs)) {
    // ElementTree spells xml:lang as {http://www.w3.org/XML/1998/namespace}lang.
    attrs[k.replace("{http://www.w3.org/XML/1998/namespace}", "xml:")] = v;
  }
  if (t.ns !== parentNs) attrs.xmlns = t.ns;
  return xml(
    t.name,
    attrs,
    ...t.children.map((c) => typeof c === "string" ? c : fromTree(c, t.ns)),
  );
}

/** Where slixmpp logs in: a test's Prosody, or one the demo started (its printed port). */
export type SlixmppTarget = Pick<ProsodyServer, "domain" | "c2sPort">;

/** Options for {@linkcode slixmppIq}. */
export interface SlixmppOptions {
  /** Per-iq reply timeout in ms; default 5000. */
  timeoutMs?: number;
  /** Send initial presence before the iqs; default false. */
  presence?: boolean;
}

/**
 * Log `user@localhost` in with slixmpp, send each iq in order (XML text or an element; an `id` is
 * added if missing) and return the replies as elements, results and errors alike. Throws with the
 * helper's stderr when login fails or an iq gets no reply.
 */
export async function slixmppIq(
  server: SlixmppTarget,
  user: string,
  password: string,
  iqs: Array<string | XmlElement>,
  opts: SlixmppOptions = {},
): Promise<XmlElement[]> {
  const timeoutS = (opts.timeoutMs ?? 5000) / 1000;
  const res = await runSlixClient(server, user, password, timeoutS, iqs.length, [
    ...(opts.presence ? ["--presence"] : []),
    ...iqs.map(String),
  ]);
  return parseLines(res.stdout);
}

/**
 * Runs slix_client.py as `user` with `args` after the login options, bounded by the helper's own
 * timeouts plus slack; throws with its stderr when it fails.
 */
async function runSlixClient(
  server: SlixmppTarget,
  user: string,
  password: string,
  timeoutS: number,
  steps: number,
  args: string[],
): Promise<PythonResult> {
  const res = await runPython(SLIX_CLIENT, [
    "--jid",
    `${user}@${server.domain}`,
    "--password",
    password,
    "--port",
    String(server.c2sPort),
    "--timeout",
    String(timeoutS),
    ...args,
  ], { timeoutMs: (10 + timeoutS * (steps + 2)) * 1000 });
  if (res.code !== 0) {
    throw new Error(
      `slixmpp ${user}@${server.domain} failed (code ${res.code}): ${res.stderr.trim()}\n${res.stdout}`,
    );
  }
  return res;
}

/** The stanzas the helper printed, one JSON line each. */
function parseLines(stdout: string): XmlElement[] {
  return stdout.trim().split("\n").filter((l) => l).map((line) => {
    const parsed = JSON.parse(line) as { xml: string; tree: JsonTree };
    // Like @xmpp/client stanzas: the stream namespace (jabber:client) stays implicit.
    return fromTree(parsed.tree, "jabber:client");
  });
}

/** One step of {@linkcode slixmppChat}. */
export type SlixmppAction =
  /** Sends a chat message. */
  | { send: { to: string; body: string } }
  /** Waits for a message from this bare JID with this body (returned). */
  | { expect: { from: string; body: string } }
  /** POSTs this body over HTTP, as the `curl -d` a user would run. */
  | { post: { url: string; body: string } };

/**
 * Logs `user@domain` in with slixmpp, sends presence and runs the actions in order; returns the
 * messages the `expect` actions waited for. Throws with the helper's stderr when login fails or a
 * message does not come within `timeoutMs` (default 10 s) per action.
 */
export async function slixmppChat(
  server: SlixmppTarget,
  user: string,
  password: string,
  actions: SlixmppAction[],
  opts: { timeoutMs?: number } = {},
): Promise<XmlElement[]> {
  const timeoutS = (opts.timeoutMs ?? 10_000) / 1000;
  const res = await runSlixClient(server, user, password, timeoutS, actions.length, [
    "--actions",
    JSON.stringify(actions),
  ]);
  return parseLines(res.stdout);
}
