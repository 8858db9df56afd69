/**
 * Fresh identifiers for things the simulated network creates: messages, groups and served files.
 *
 * Message ids look like Messenger's (`mid.$…`) and start with `mid.$sim` so they are recognisable
 * in logs. Each network instance draws a random run prefix, so ids never repeat across restarts:
 * the gateway keeps message ids in its store and would drop a reused one as a duplicate.
 *
 * @module
 */

import { asMessageId, asThreadId, type MessageId, type ThreadId } from "../ids.ts";

const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

/** Produces unique ids for one simulated network. */
export class SimulatedIds {
  readonly #run = randomText(8);
  #messages = 0;
  #groups = 0;
  #files = 0;

  /** A new message id, e.g. `mid.$simK3f9aQ2x000001`. */
  message(): MessageId {
    this.#messages += 1;
    return asMessageId(`mid.$sim${this.#run}${this.#messages.toString(36).padStart(6, "0")}`);
  }

  /** A new numeric group id that `isTaken` does not know yet. */
  group(isTaken: (id: string) => boolean): ThreadId {
    let id: string;
    do {
      this.#groups += 1;
      id = String(880_000_000_000_000 + randomDigits() * 1_000 + this.#groups);
    } while (isTaken(id));
    return asThreadId(id);
  }

  /** A new unguessable path segment for a served file. */
  file(): string {
    this.#files += 1;
    return `${this.#run}${this.#files.toString(36)}${randomText(12)}`;
  }
}

function randomText(length: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  return [...bytes].map((byte) => ALPHABET[byte % ALPHABET.length]).join("");
}

function randomDigits(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] % 100_000_000;
}
