/**
 * Encryption of the secrets the store keeps (Messenger cookies, saved passwords), with WebCrypto
 * AES-GCM and the admin's 256-bit key: a fresh random 96-bit nonce for every value, and the
 * place the value belongs to (user and field) as additional data, so a sealed value copied into
 * another user's record does not open.
 *
 * A sealed value is stored as `{ sealed: "mg1.<nonce>.<ciphertext>" }` (base64): an object, so a
 * clear string (a record written before encryption was turned on) is told apart at a glance.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/** A value encrypted by {@link RecordCipher}, as stored. */
export interface SealedValue {
  sealed: string;
}

/** The key bytes an admin must provide. */
export const STORE_KEY_BYTES = 32;

const VERSION = "mg1";

/** A sealed value did not open: wrong key, or data that was tampered with or moved. */
export class SealedValueError extends Error {
  override name = "SealedValueError";
}

/** True for a value {@link RecordCipher.seal} produced. */
export function isSealed(value: unknown): value is SealedValue {
  return typeof value === "object" && value !== null &&
    typeof (value as { sealed?: unknown }).sealed === "string";
}

/** Seals and opens values with one key. */
export class RecordCipher {
  readonly #key: CryptoKey;

  private constructor(key: CryptoKey) {
    this.#key = key;
  }

  /** A cipher for a raw 256-bit key. */
  static async fromKey(raw: Uint8Array): Promise<RecordCipher> {
    if (raw.byteLength !== STORE_KEY_BYTES) {
      throw new RangeError(`The store key must be ${STORE_KEY_BYTES} bytes`);
    }
    const key = await crypto.subtle.importKey(
      "raw",
      new Uint8Array(raw),
      { name: "AES-GCM" },
      false,
      ["encrypt", "decrypt"],
    );
    return new RecordCipher(key);
  }

  /** Encrypts `plain` for the place `context` names (e.g. `user:alice@example.org:cookies`). */
  async seal(plain: string, context: string): Promise<SealedValue> {
    const nonce = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt(
      { name: "AES-GCM", iv: nonce, additionalData: new TextEncoder().encode(context) },
      this.#key,
      new TextEncoder().encode(plain),
    );
    return { sealed: `${VERSION}.${base64(nonce)}.${base64(new Uint8Array(data))}` };
  }

  /** Decrypts a sealed value; throws {@link SealedValueError} when it does not open. */
  async open(value: SealedValue, context: string): Promise<string> {
    const [version, nonce, data] = value.sealed.split(".");
    if (version !== VERSION || nonce === undefined || data === undefined) {
      throw new SealedValueError(`Unknown sealed value format (${version ?? "none"})`);
    }
    try {
      const plain = await crypto.subtle.decrypt(
        {
          name: "AES-GCM",
          iv: Buffer.from(nonce, "base64"),
          additionalData: new TextEncoder().encode(context),
        },
        this.#key,
        Buffer.from(data, "base64"),
      );
      return new TextDecoder().decode(plain);
    } catch {
      throw new SealedValueError("A sealed value does not open with this key");
    }
  }
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}

/** The cipher of each opened store that has one; a store without is kept in clear. */
const ciphers = new WeakMap<Deno.Kv, RecordCipher>();

/**
 * Makes `kv` seal its secrets with `cipher` from now on. Done once by whoever opens the store:
 * the rest of the program is handed the opened store and never sees the cipher.
 */
export function useCipher(kv: Deno.Kv, cipher: RecordCipher): void {
  ciphers.set(kv, cipher);
}

/** The cipher of an opened store, if it has one. */
export function cipherOf(kv: Deno.Kv): RecordCipher | undefined {
  return ciphers.get(kv);
}
