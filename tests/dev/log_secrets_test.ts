import assert from "node:assert/strict";
import { join } from "node:path";
import { recordLog, scanLogs } from "../../dev/log_secrets.ts";

Deno.test("the scan finds a recorded secret in any process's lines, and names it without its value", async () => {
  const dir = await Deno.makeTempDir({ prefix: "log-secrets-" });
  try {
    const secret = { what: "the component secret", value: "s3cret-value-1" };
    const clean = recordLog("gateway", [secret], dir)!;
    clean.line("INFO main: Starting");
    clean.line("INFO xmpp: Component online");
    clean.close();
    assert.deepEqual((await scanLogs(dir)).leaks, []);

    const leaky = recordLog("gateway", [
      { what: "password of bob", value: "bob-password-2" },
      { what: "cookie xs of carol", value: "abc" },
    ], dir)!;
    leaky.line("DEBUG gateway: logging in with bob-password-2");
    leaky.line("DEBUG gateway: and s3cret-value-1 from another process");
    leaky.close();
    const result = await scanLogs(dir);
    assert.equal(result.files, 2);
    assert.equal(result.lines, 4);
    assert.equal(result.secrets, 2);
    assert.deepEqual(result.tooShort, ["cookie xs of carol"]);
    assert.equal(result.leaks.length, 2);
    assert.ok(result.leaks.some((leak) => leak.endsWith("password of bob (1 lines)")));
    assert.ok(result.leaks.some((leak) => leak.endsWith("the component secret (1 lines)")));
    assert.ok(result.leaks.every((leak) => !leak.includes("bob-password-2")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("without a run folder nothing is recorded, and an absent folder scans as empty", async () => {
  assert.equal(recordLog("gateway", [], ""), undefined);
  const dir = await Deno.makeTempDir();
  const result = await scanLogs(join(dir, "absent"));
  assert.deepEqual(result, { files: 0, lines: 0, secrets: 0, tooShort: [], leaks: [] });
  await Deno.remove(dir);
});
