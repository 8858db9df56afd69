/**
 * Mentions read from a raw message delta, in every shape Facebook has used.
 *
 * fca-unofficial 1.3.10 reads only the 2020 shape (`data.prng`, a JSON string of `{i, o, l}`) and
 * hands on a `{userId: text}` map that loses positions. Messages in the 2026 shapes come through
 * fca with no mentions at all (see shared/notes/facebook-2026.md):
 *
 * - comma lists `data.mention_ids` / `data.mention_offsets` / `data.mention_lengths`;
 * - `ranges` or `profileRanges` lists (on the delta or under `data`, maybe as a JSON string) of
 *   `{entity: {id}, offset, length}`, `{id, offset, length}` or `{i, o, l}`;
 * - a typed map under `messageMetadata.data.data.Gb.asMap.data` whose entries hold
 *   `{asMap: {data: {id: {asLong}, offset: {asLong}, length: {asLong}}}}`.
 *
 * The fca Worker keeps each message's raw delta for the main side (delta_tap.ts), so mentions come
 * out with exact offsets whatever the shape. Pure; out-of-range entries are dropped.
 *
 * @module
 */

import type { Mention } from "../events.ts";
import { asUserId } from "../ids.ts";
import { idText, list, numeric, record, text } from "./_narrow.ts";

interface RawMention {
  user: string | undefined;
  offset: number | undefined;
  length: number | undefined;
}

/**
 * The mentions of a raw message delta (a `NewMessage`, or a reply's `message`): `undefined` when
 * the delta carries no mention data in any known shape, else the valid ones sorted by offset.
 */
export function mentionsFromDelta(raw: unknown): Mention[] | undefined {
  const delta = record(raw);
  if (delta === undefined) return undefined;
  const body = text(delta.body) ?? "";
  const data = record(delta.data) ?? {};
  const found = fromPrng(data.prng) ?? fromCommaLists(data) ??
    fromRanges(delta.ranges ?? data.ranges ?? delta.profileRanges ?? data.profileRanges) ??
    fromTypedMap(record(delta.messageMetadata)?.data);
  if (found === undefined) return undefined;
  const mentions: Mention[] = [];
  const seen = new Set<string>();
  for (const { user, offset, length } of found) {
    if (user === undefined || offset === undefined || length === undefined) continue;
    if (!Number.isInteger(offset) || !Number.isInteger(length)) continue;
    if (offset < 0 || length <= 0 || offset + length > body.length) continue;
    const key = `${user}@${offset}`;
    if (seen.has(key)) continue;
    seen.add(key);
    mentions.push({ user: asUserId(user), offset, length });
  }
  return mentions.sort((a, b) => a.offset - b.offset);
}

/** 2020: `data.prng`, a JSON string of `[{i, o, l, t}]`. */
function fromPrng(prng: unknown): RawMention[] | undefined {
  const source = text(prng);
  if (source === undefined) return undefined;
  return list(parseJson(source)).map((entry) => {
    const fields = record(entry);
    return { user: idText(fields?.i), offset: numeric(fields?.o), length: numeric(fields?.l) };
  });
}

/** `data.mention_ids` / `mention_offsets` / `mention_lengths`: parallel comma lists. */
function fromCommaLists(data: Record<string, unknown>): RawMention[] | undefined {
  const ids = commaList(data.mention_ids);
  if (ids === undefined) return undefined;
  const offsets = commaList(data.mention_offsets) ?? [];
  const lengths = commaList(data.mention_lengths) ?? [];
  return ids.map((id, index) => ({
    user: id === "" ? undefined : id,
    offset: numeric(offsets[index]),
    length: numeric(lengths[index]),
  }));
}

/** `ranges` / `profileRanges`: a list (or its JSON string) of ranges naming an entity. */
function fromRanges(value: unknown): RawMention[] | undefined {
  if (value === undefined) return undefined;
  const ranges = typeof value === "string" ? parseJson(value) : value;
  if (!Array.isArray(ranges)) return undefined;
  return ranges.map((entry) => {
    const fields = record(entry);
    return {
      user: idText(record(fields?.entity)?.id) ?? idText(fields?.id) ?? idText(fields?.i),
      offset: numeric(fields?.offset) ?? numeric(fields?.o),
      length: numeric(fields?.length) ?? numeric(fields?.l),
    };
  });
}

/** `messageMetadata.data.data.Gb.asMap.data`: typed values (`{asLong}`) per mention. */
function fromTypedMap(metadataData: unknown): RawMention[] | undefined {
  const entries = record(
    record(record(record(record(metadataData)?.data)?.Gb)?.asMap)?.data,
  );
  if (entries === undefined) return undefined;
  return Object.values(entries).map((entry) => {
    const fields = record(record(record(entry)?.asMap)?.data);
    return {
      user: idText(typed(fields?.id)),
      offset: numeric(typed(fields?.offset)),
      length: numeric(typed(fields?.length)),
    };
  });
}

/** A typed value's content (`{asLong: …}`, `{asString: …}`), or the value itself. */
function typed(value: unknown): unknown {
  const fields = record(value);
  return fields === undefined ? value : fields.asLong ?? fields.asString ?? fields.asInt;
}

function commaList(value: unknown): string[] | undefined {
  const source = text(value);
  if (source === undefined || source.trim() === "") return undefined;
  return source.split(",").map((part) => part.trim());
}

function parseJson(source: string): unknown {
  try {
    return JSON.parse(source);
  } catch {
    return undefined;
  }
}
