import assert from "node:assert/strict";
import { join } from "node:path";
import { openKv, StoreOpenError } from "../../src/store/open_store.ts";

/** Runs `fn` with a fresh temp folder, removed afterwards. */
async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mg-store-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Permission bits of `path`. */
async function modeOf(path: string): Promise<number> {
  const mode = (await Deno.stat(path)).mode;
  assert.ok(mode !== null, `no mode for ${path}`);
  return mode & 0o777;
}

/** Calls `fn`, expecting a StoreOpenError, and returns it. */
async function expectStoreOpenError(fn: () => Promise<unknown>): Promise<StoreOpenError> {
  try {
    const kv = await fn();
    if (kv instanceof Deno.Kv) kv.close();
  } catch (error) {
    assert.ok(error instanceof StoreOpenError, `expected a StoreOpenError, got ${error}`);
    assert.equal(error.name, "StoreOpenError");
    return error;
  }
  assert.fail("expected a StoreOpenError");
}

Deno.test("a local store in a folder that does not exist yet gets a private folder and private files", async () => {
  await withTempDir(async (base) => {
    const outer = join(base, "var");
    const inner = join(outer, "lib", "gateway");
    const path = join(inner, "gateway.db");
    const kv = await openKv(path);
    try {
      await kv.set(["probe"], "value");
      assert.equal(await modeOf(outer), 0o700);
      assert.equal(await modeOf(join(outer, "lib")), 0o700);
      assert.equal(await modeOf(inner), 0o700);
      const files: string[] = [];
      for await (const entry of Deno.readDir(inner)) files.push(entry.name);
      assert.ok(files.includes("gateway.db"), `no database file among ${files}`);
      for (const name of files) {
        assert.equal(await modeOf(join(inner, name)), 0o600, `${name} is not 0600`);
      }
    } finally {
      kv.close();
    }
  });
});

Deno.test("reopening a local store keeps what was written", async () => {
  await withTempDir(async (base) => {
    const path = join(base, "nested", "gateway.db");
    const first = await openKv(path);
    try {
      await first.set(["registration", "alice@example.org"], { jid: "alice@example.org" });
    } finally {
      first.close();
    }
    const second = await openKv(path);
    try {
      const entry = await second.get(["registration", "alice@example.org"]);
      assert.deepEqual(entry.value, { jid: "alice@example.org" });
      assert.equal(await modeOf(path), 0o600);
    } finally {
      second.close();
    }
  });
});

Deno.test("a store path under a regular file fails with a StoreOpenError naming the path", async () => {
  await withTempDir(async (base) => {
    const file = join(base, "not-a-folder");
    await Deno.writeTextFile(file, "plain file");
    const path = join(file, "sub", "gateway.db");
    const error = await expectStoreOpenError(() => openKv(path));
    assert.ok(error.message.includes(path), `does not name the path: ${error.message}`);
  });
});

Deno.test("a store path that is a folder fails with a StoreOpenError naming the path", async () => {
  await withTempDir(async (base) => {
    const error = await expectStoreOpenError(() => openKv(base));
    assert.ok(error.message.includes(base), `does not name the path: ${error.message}`);
  });
});

Deno.test("a KV Connect URL without an access token fails without leaking credentials from the URL", async () => {
  const saved = Deno.env.get("DENO_KV_ACCESS_TOKEN");
  Deno.env.delete("DENO_KV_ACCESS_TOKEN");
  try {
    const url = "https://kvuser:kvpw@example.invalid/x?token=abc123#frag";
    const error = await expectStoreOpenError(() => openKv(url));
    assert.match(error.message, /DENO_KV_ACCESS_TOKEN/);
    assert.match(error.message, /example\.invalid/);
    for (const leak of ["kvuser", "kvpw", "abc123", "token="]) {
      assert.ok(!error.message.includes(leak), `leaks ${leak}: ${error.message}`);
    }
    const plain = await expectStoreOpenError(() =>
      openKv("https://user:pw@example.invalid/x?token=abc")
    );
    assert.ok(!plain.message.includes("pw@"), plain.message);
    assert.ok(!plain.message.includes(":pw"), plain.message);
    assert.ok(!plain.message.includes("abc"), plain.message);
  } finally {
    if (saved === undefined) Deno.env.delete("DENO_KV_ACCESS_TOKEN");
    else Deno.env.set("DENO_KV_ACCESS_TOKEN", saved);
  }
});
