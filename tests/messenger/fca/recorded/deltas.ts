/**
 * Loads the recorded delta shapes in wire form.
 *
 * ClientPayload deltas are kept readable in deltas.json (`clientPayload`); Facebook sends them as
 * an array of UTF-8 bytes (`payload`), which fca turns into a string byte by byte — the source
 * of the mis-decoded reactions. This module does that encoding.
 *
 * @module
 */

import recorded from "./deltas.json" with { type: "json" };

/** The names of the recorded shapes. */
export type RecordedName = Exclude<keyof typeof recorded, "_about">;

/** One recorded shape, ready to publish (a fresh copy each call). */
export function wire(name: RecordedName): Record<string, unknown> {
  const shape = structuredClone(recorded[name]) as Record<string, unknown>;
  if ("clientPayload" in shape) {
    const bytes = new TextEncoder().encode(JSON.stringify(shape.clientPayload));
    return { class: "ClientPayload", payload: Array.from(bytes) };
  }
  return shape;
}
