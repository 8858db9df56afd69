/**
 * The raw MQTT payloads, read before fca-unofficial sees them: repaired, split, and mined for
 * what fca throws away.
 *
 * fca 1.3.10 parses a whole `/t_ms` batch in one loop, so one delta it cannot read (a `NewMessage`
 * without `attachments` crashes it: `delta.attachments.length`) costs every delta after it. And it
 * keeps only some of what a delta says: the thread key's kind (group or 1:1) is lost on reactions,
 * unsends and read receipts, mentions in the 2026 shapes are lost entirely, and so are group admin
 * changes (an admin text fca 1.3.10 returns from without a word, listenMqtt.js). The fca Worker
 * runs each payload through {@link tapSyncPayload} first and hands fca one repaired delta at a
 * time; the main side gets the exact thread kinds and, with each message event, its raw delta (for
 * mentions, see delta_mentions.ts). Deltas fca drops but the gateway reads are marked `rescue`:
 * the Worker formats them with fca's own `formatDeltaEvent`, as later fca versions do. Pure, so
 * every recorded shape is unit-tested.
 *
 * @module
 */

import type { ConversationKind } from "../events.ts";
import { idText, list, record, text } from "./_narrow.ts";

/** The delta classes fca 1.3.10 acts on; others it drops without a word. */
const CLASSES_FCA_READS = new Set([
  "NewMessage",
  "ClientPayload",
  "ReadReceipt",
  "AdminTextMessage",
  "ForcedFetch",
  "ThreadName",
  "ParticipantsAddedToGroupThread",
  "ParticipantLeftGroupThread",
]);

/** The one admin-text type fca turns into an event (theme, nickname and icon it drops on purpose). */
const ADMIN_TEXTS_FCA_READS = new Set(["group_poll"]);

/**
 * Admin texts fca 1.3.10 drops that the gateway reads: a member made a group admin or no longer
 * one (`untypedData`: `TARGET_ID`, `ADMIN_EVENT` add_admin / remove_admin).
 */
const ADMIN_TEXTS_RESCUED = new Set(["change_thread_admins"]);

/** A thread and its kind, as a thread key names it exactly. */
export type ThreadKind = [thread: string, kind: ConversationKind];

/** One delta of a batch, ready for fca. */
export interface TappedDelta {
  /** The payload to give fca: the batch's envelope with this delta alone. */
  payload: string;
  /** The (repaired) delta, for rescuing its message if fca still fails on it. */
  delta: Record<string, unknown>;
  /** fca drops this delta, but the gateway reads it: formatted for fca (see the module doc). */
  rescue: boolean;
}

/** What the tap made of one `/t_ms` payload. */
export interface TappedSync {
  /** One payload per delta, in order; the payload itself when it has no deltas (a sync answer). */
  parts: TappedDelta[] | string;
  /** Threads whose kind the deltas name exactly. */
  kinds: ThreadKind[];
  /** Message deltas (new messages and replies) by message id: their mentions, for the main side. */
  messages: [id: string, delta: Record<string, unknown>][];
  /** Debug lines: what was repaired, and what fca will ignore. */
  notes: string[];
}

/**
 * Reads one `/t_ms` payload. Undefined when it is not JSON (fca logs and drops that itself).
 * Deltas are repaired in place: a `NewMessage` without an `attachments` list gets an empty one.
 */
export function tapSyncPayload(payload: string): TappedSync | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    return undefined;
  }
  const envelope = record(parsed);
  if (envelope === undefined) return undefined;
  const result: TappedSync = { parts: payload, kinds: [], messages: [], notes: [] };
  if (!Array.isArray(envelope.deltas)) return result;
  const parts: TappedDelta[] = [];
  for (const raw of envelope.deltas) {
    const delta = record(raw);
    if (delta === undefined) {
      result.notes.push("Ignored a delta that is not an object");
      continue;
    }
    const rescue = readDelta(delta, result);
    parts.push({ payload: JSON.stringify({ ...envelope, deltas: [delta] }), delta, rescue });
  }
  result.parts = parts;
  return result;
}

/**
 * The thread kind a typing notification names: `/thread_typing` carries a group's `thread`,
 * `/orca_typing_notifications` is 1:1 (the typist's own thread). Undefined when it does not say.
 */
export function typingThreadKind(topic: string, payload: string): ThreadKind | undefined {
  let fields: Record<string, unknown> | undefined;
  try {
    fields = record(JSON.parse(payload));
  } catch {
    return undefined;
  }
  const sender = idText(fields?.sender_fbid);
  const thread = idText(fields?.thread);
  if (topic === "/thread_typing" && thread !== undefined && thread !== sender) {
    return [thread, "group"];
  }
  if (topic === "/orca_typing_notifications" && sender !== undefined) return [sender, "direct"];
  return undefined;
}

/** The thread and kind a thread key names: `threadFbId` is a group, `otherUserFbId` a 1:1 chat. */
export function kindOfThreadKey(threadKey: unknown): ThreadKind | undefined {
  const key = record(threadKey);
  const group = idText(key?.threadFbId);
  if (group !== undefined) return [group, "group"];
  const direct = idText(key?.otherUserFbId);
  return direct === undefined ? undefined : [direct, "direct"];
}

/**
 * Decodes a ClientPayload's byte array as UTF-8 JSON (fca reads the bytes as Latin-1). Undefined
 * when it is not valid UTF-8 JSON: then only fca's reading is left.
 */
export function decodeClientPayload(payload: unknown): Record<string, unknown> | undefined {
  const bytes = list(payload);
  if (bytes.length === 0 || !bytes.every((byte) => Number.isInteger(byte))) return undefined;
  try {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    return record(JSON.parse(decoder.decode(new Uint8Array(bytes as number[]))));
  } catch {
    return undefined;
  }
}

/** Reads one delta into `result`; true when fca drops it but the gateway reads it. */
function readDelta(delta: Record<string, unknown>, result: TappedSync): boolean {
  const deltaClass = text(delta.class) ?? "";
  if (!CLASSES_FCA_READS.has(deltaClass)) {
    result.notes.push(`Ignored a delta of class ${deltaClass || "(none)"}`);
    return false;
  }
  const metadata = record(delta.messageMetadata);
  learn(result, metadata?.threadKey ?? delta.threadKey);
  switch (deltaClass) {
    case "NewMessage": {
      if (!Array.isArray(delta.attachments)) {
        delta.attachments = [];
        result.notes.push("Repaired a NewMessage without attachments (fca 1.3.10 crashes on it)");
      }
      const id = idText(metadata?.messageId);
      if (id !== undefined) result.messages.push([id, delta]);
      return false;
    }
    case "AdminTextMessage": {
      const type = text(delta.type) ?? "(none)";
      if (ADMIN_TEXTS_RESCUED.has(type)) return true;
      if (!ADMIN_TEXTS_FCA_READS.has(type)) result.notes.push(`Ignored an admin text: ${type}`);
      return false;
    }
    case "ClientPayload":
      readClientPayload(delta, result);
      return false;
  }
  return false;
}

function readClientPayload(delta: Record<string, unknown>, result: TappedSync): void {
  const payload = decodeClientPayload(delta.payload);
  if (payload === undefined) {
    result.notes.push("A ClientPayload that does not decode: fca will drop it");
    return;
  }
  for (const entry of list(payload.deltas)) {
    const inner = record(entry) ?? {};
    const reaction = record(inner.deltaMessageReaction);
    const recall = record(inner.deltaRecallMessageData);
    const reply = record(record(inner.deltaMessageReply)?.message);
    if (reaction !== undefined) learn(result, reaction.threadKey);
    else if (recall !== undefined) learn(result, recall.threadKey);
    else if (reply !== undefined) {
      const metadata = record(reply.messageMetadata);
      learn(result, metadata?.threadKey);
      const id = idText(metadata?.messageId);
      if (id !== undefined) result.messages.push([id, reply]);
    } else {
      const names = Object.keys(inner).join(", ") || "(empty)";
      result.notes.push(`Ignored a ClientPayload delta: ${names}`);
    }
  }
}

function learn(result: TappedSync, threadKey: unknown): void {
  const kind = kindOfThreadKey(threadKey);
  if (kind !== undefined) result.kinds.push(kind);
}
