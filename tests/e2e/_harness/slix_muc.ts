/**
 * slixmpp's own XEP-0045 client in a room of the gateway (see `slix_muc.py`): joins, says one
 * thing and waits for expected messages, reporting every event it saw.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import type { ProsodyServer } from "./prosody.ts";
import { runPython } from "./slixmpp.ts";

const SLIX_MUC: string = fileURLToPath(new URL("./slix_muc.py", import.meta.url));

/** One event `slix_muc.py` reported. */
export interface MucEvent {
  event: "joined" | "history" | "message" | "subject";
  nick?: string;
  codes?: string[];
  body?: string;
  stanza_id?: string | null;
  subject?: string;
}

/** Runs the slixmpp room client; throws with its stderr when an expected message never came. */
export async function slixmppInRoom(
  server: ProsodyServer,
  options: {
    user: string;
    password: string;
    room: string;
    nick: string;
    say: string;
    /** `nick:body` of each message that must arrive. */
    expect: string[];
  },
): Promise<MucEvent[]> {
  const result = await runPython(SLIX_MUC, [
    "--jid",
    `${options.user}@${server.domain}`,
    "--password",
    options.password,
    "--port",
    String(server.c2sPort),
    "--room",
    options.room,
    "--nick",
    options.nick,
    "--say",
    options.say,
    ...options.expect.flatMap((expected) => ["--expect", expected]),
  ], { timeoutMs: 40_000 });
  if (result.code !== 0) {
    throw new Error(`slix_muc failed (${result.code}): ${result.stderr.trim()}\n${result.stdout}`);
  }
  // slixmpp 1.8.3 prints the delay of each history message (a print left in its muc.py).
  return result.stdout.trim().split("\n").filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
}
