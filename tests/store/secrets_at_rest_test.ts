/**
 * Secrets at rest: with a store key the cookies and kept passwords are sealed (no cookie byte in
 * the file), clear records are sealed at start, and a missing, wrong or malformed key is a clear
 * StoreOpenError instead of a store that silently logs everyone out.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { Secret } from "../../src/secret.ts";
import { openKv, StoreOpenError } from "../../src/store/open_store.ts";
import { RecordCipher } from "../../src/store/record_cipher.ts";
import { STORE_KEY_ENV } from "../../src/store/store_key.ts";
import { getUser, putUser, updateUser, type UserRecord } from "../../src/store/user_records.ts";

const COOKIE = "xs-cookie-Zq81LmP0-never-in-clear";
const PASSWORD = "kept pässword 4711";

function newKey(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
}

function env(vars: Record<string, string>) {
  return (name: string) => vars[name];
}

function alice(): UserRecord {
  return {
    jid: "alice@example.org",
    registeredAt: 1,
    preferences: { save_password: true },
    messengerSession: new Secret(JSON.stringify([{ key: "xs", value: COOKIE }])),
    savedLogin: { email: "alice@example.com", password: new Secret(PASSWORD) },
  };
}

/** Every file of the store (the database and any -wal/-shm), as Latin-1 text. */
async function rawBytes(dir: string): Promise<string> {
  let text = "";
  for await (const entry of Deno.readDir(dir)) {
    text += new TextDecoder("latin1").decode(await Deno.readFile(join(dir, entry.name)));
  }
  return text;
}

async function withDir(fn: (path: string, dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mg-at-rest-" });
  try {
    await fn(join(dir, "gateway.kv"), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const passwordBytes = new TextDecoder("latin1").decode(new TextEncoder().encode(PASSWORD));

Deno.test("with a key, the file holds no cookie or password byte; the record reads back", async () => {
  await withDir(async (path, dir) => {
    const key = newKey();
    const kv = await openKv(path, { env: env({ [STORE_KEY_ENV]: key }) });
    await putUser(kv, alice());
    await updateUser(kv, "alice@example.org", (r) => ({ ...r, preferences: { typing: true } }));
    const read = await getUser(kv, "alice@example.org");
    kv.close();
    assert.equal(read?.messengerSession?.reveal(), JSON.stringify([{ key: "xs", value: COOKIE }]));
    assert.equal(read?.savedLogin?.password.reveal(), PASSWORD);
    const raw = await rawBytes(dir);
    assert.ok(raw.includes("alice@example.org"), "the file was read");
    assert.ok(!raw.includes(COOKIE), "the cookie value is in the file");
    assert.ok(!raw.includes(passwordBytes), "the password is in the file");
  });
});

Deno.test("clear records are sealed at the first start with a key, old bytes gone", async () => {
  await withDir(async (path, dir) => {
    let kv = await openKv(path, { env: env({}) });
    await putUser(kv, alice());
    kv.close();
    assert.ok((await rawBytes(dir)).includes(COOKIE), "in clear without a key");

    const key = newKey();
    kv = await openKv(path, { env: env({ [STORE_KEY_ENV]: key }) });
    const read = await getUser(kv, "alice@example.org");
    kv.close();
    assert.equal(read?.savedLogin?.password.reveal(), PASSWORD);
    const raw = await rawBytes(dir);
    assert.ok(!raw.includes(COOKIE), "a clear copy of the cookie is left in the file");
    assert.ok(!raw.includes(passwordBytes), "a clear copy of the password is left in the file");
  });
});

Deno.test("a missing, wrong or malformed key is a clear start-up error, never a logout", async () => {
  await withDir(async (path) => {
    const key = newKey();
    let kv = await openKv(path, { env: env({ [STORE_KEY_ENV]: key }) });
    await putUser(kv, alice());
    kv.close();

    await assert.rejects(
      openKv(path, { env: env({}) }),
      (error) =>
        error instanceof StoreOpenError &&
        /keeps its secrets encrypted, but no key was given: set MESSENGER_GATEWAY_STORE_KEY/
          .test(error.message),
    );
    await assert.rejects(
      openKv(path, { env: env({ [STORE_KEY_ENV]: newKey() }) }),
      (error) =>
        error instanceof StoreOpenError &&
        /The store key from MESSENGER_GATEWAY_STORE_KEY does not open the store/.test(
          error.message,
        ),
    );
    await assert.rejects(
      openKv(path, { env: env({ [STORE_KEY_ENV]: "too-short" }) }),
      (error) =>
        error instanceof StoreOpenError &&
        /must be 32 random bytes in base64/.test(error.message) &&
        !error.message.includes("too-short"),
    );
    // The same key through a systemd credential file opens it.
    const credentials = await Deno.makeTempDir({ prefix: "mg-credentials-" });
    try {
      await Deno.writeTextFile(join(credentials, "store-key"), `${key}\n`);
      kv = await openKv(path, { env: env({ CREDENTIALS_DIRECTORY: credentials }) });
      assert.equal(
        (await getUser(kv, "alice@example.org"))?.savedLogin?.password.reveal(),
        PASSWORD,
      );
      kv.close();
    } finally {
      await Deno.remove(credentials, { recursive: true });
    }
  });
});

Deno.test("a sealed value is bound to its record: moved to another user it does not open", async () => {
  const cipher = await RecordCipher.fromKey(crypto.getRandomValues(new Uint8Array(32)));
  const sealed = await cipher.seal("secret", "messenger-gateway:user:a@x:cookies");
  assert.equal(await cipher.open(sealed, "messenger-gateway:user:a@x:cookies"), "secret");
  await assert.rejects(cipher.open(sealed, "messenger-gateway:user:b@x:cookies"), /does not open/);
  const again = await cipher.seal("secret", "messenger-gateway:user:a@x:cookies");
  assert.notEqual(again.sealed, sealed.sealed, "a fresh nonce for every value");
});
