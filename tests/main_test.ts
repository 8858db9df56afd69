/**
 * The command line as an admin meets it: flags, messages and exit codes of `main.ts`.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { VERSION } from "../src/version.ts";

const MAIN = fileURLToPath(new URL("../main.ts", import.meta.url));

async function run(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

async function withConfig(text: string, fn: (path: string, dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/config.toml`, text);
    await fn(`${dir}/config.toml`, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("--version prints the name and release and exits 0", async () => {
  const result = await run(["--version"]);
  assert.equal(result.code, 0);
  assert.equal(result.stdout.trim(), `messenger-gateway ${VERSION}`);
});

Deno.test("--help documents the flags and the exit codes", async () => {
  const result = await run(["--help"]);
  assert.equal(result.code, 0);
  for (
    const word of [
      "--config",
      "--check-config",
      "--version",
      "Exit codes",
      "MESSENGER_GATEWAY_SECRET",
    ]
  ) {
    assert.ok(result.stdout.includes(word), `--help does not mention ${word}`);
  }
});

Deno.test("an unknown flag is a usage error with exit code 2", async () => {
  const result = await run(["--frobnicate"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /frobnicate/);
  assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/, "a stack trace was printed");
});

Deno.test("--check-config accepts a valid file and exits 0", async () => {
  await withConfig(
    `[component]\njid = "facebook.example.org"\nsecret = "s3cret-value"\n[gateway]\ndata = "g.kv"\n`,
    async (path) => {
      const result = await run(["--check-config", "--config", path]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /is valid/);
    },
  );
});

Deno.test("--check-config also reads the simulated world file, naming its problems", async () => {
  const config = (world: string) =>
    `[component]\njid = "facebook.example.org"\nsecret = "s3cret-value"\n[gateway]\n` +
    `data = "g.kv"\n[messenger]\nbackend = "simulated"\n[simulated]\nworld = "${world}"\n`;
  await withConfig(config("missing.toml"), async (path) => {
    const result = await run(["--check-config", "--config", path]);
    assert.equal(result.code, 2, result.stdout);
    assert.match(result.stderr, /missing\.toml does not exist/);
  });
  await withConfig(config("world.toml"), async (path, dir) => {
    await Deno.writeTextFile(
      `${dir}/world.toml`,
      `[[account]]\nemail = "a@example.com"\npassword = "pw"\nuser_id = "1"\nname = "A"\n` +
        `  [[account.friend]]\n  id = "2"\n  name = "B"\n  ehco = true\n`,
    );
    const bad = await run(["--check-config", "--config", path]);
    assert.equal(bad.code, 2, bad.stdout);
    assert.match(bad.stderr, /ehco/);
    await Deno.writeTextFile(
      `${dir}/world.toml`,
      `[[account]]\nemail = "a@example.com"\npassword = "pw"\nuser_id = "1"\nname = "A"\n`,
    );
    const good = await run(["--check-config", "--config", path]);
    assert.equal(good.code, 0, good.stderr);
  });
});

Deno.test("--check-config rejects a bad file with exit code 2, naming key and file, hiding the secret", async () => {
  await withConfig(
    `[component]\njid = "facebook.example.org"\nsecret = 12345678\nprot = 5347\n`,
    async (path) => {
      const result = await run(["--check-config", "--config", path]);
      assert.equal(result.code, 2);
      assert.match(result.stderr, /component\.prot/);
      assert.match(result.stderr, /did you mean "component\.port"/);
      assert.ok(result.stderr.includes(path), result.stderr);
      assert.ok(!result.stderr.includes("12345678"), "the secret was echoed");
    },
  );
});

Deno.test("a missing config file is a clear error with exit code 2", async () => {
  const result = await run(["--config", "/nonexistent/messenger-gateway.toml"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /\/nonexistent\/messenger-gateway\.toml/);
});

Deno.test("the secret can come from MESSENGER_GATEWAY_SECRET instead of the file", async () => {
  await withConfig(
    `[component]\njid = "facebook.example.org"\n[gateway]\ndata = "g.kv"\n`,
    async (path) => {
      const without = await run(["--check-config", "--config", path]);
      assert.equal(without.code, 2);
      assert.match(without.stderr, /component\.secret/);
      const withEnv = await run(["--check-config", "--config", path], {
        MESSENGER_GATEWAY_SECRET: "from-the-environment",
      });
      assert.equal(withEnv.code, 0, withEnv.stderr);
    },
  );
});

Deno.test("a store that cannot be opened exits 4 with a message naming it", async () => {
  await withConfig(
    `[component]\njid = "facebook.example.org"\nsecret = "s3cret-value"\nport = 1\n` +
      `[gateway]\ndata = "/proc/version/cannot/be/here.kv"\n`,
    async (path) => {
      const result = await run(["--config", path]);
      assert.equal(result.code, 4, result.stderr);
      assert.match(result.stderr, /\/proc\/version\/cannot\/be\/here\.kv/);
    },
  );
});

Deno.test("a taken simulated.control port is a configuration error naming the key, exit code 2", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  await withConfig(
    `[component]\njid = "facebook.example.org"\nsecret = "s3cret-value"\nport = 1\n` +
      `[gateway]\ndata = ":memory:"\n[messenger]\nbackend = "simulated"\n` +
      `[simulated]\nworld = "world.toml"\ncontrol = "127.0.0.1:${port}"\n`,
    async (path, dir) => {
      await Deno.writeTextFile(
        `${dir}/world.toml`,
        `[[account]]\nemail = "a@example.com"\npassword = "pw"\nuser_id = "1"\nname = "A"\n`,
      );
      const result = await run(["--config", path]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /invalid configuration:/);
      assert.match(
        result.stderr,
        new RegExp(`simulated\\.control in ${path}: 127\\.0\\.0\\.1:${port} is already in use`),
      );
      assert.doesNotMatch(result.stderr, /internal error|AddrInUse|at .*\.ts:\d+/);
    },
  );
});

Deno.test("--check-config warns, without failing, about the example's placeholder secret and admin", async () => {
  const example = await Deno.readTextFile(
    fileURLToPath(new URL("../config.example.toml", import.meta.url)),
  );
  await withConfig(example, async (path) => {
    const result = await run(["--check-config", "--config", path]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /is valid/);
    assert.match(
      result.stderr,
      new RegExp(`warning: component\\.secret in ${path} is still the example's placeholder`),
    );
    assert.match(
      result.stderr,
      new RegExp(
        `warning: gateway\\.admins in ${path} lists admin@example\\.org, the example's placeholder`,
      ),
    );
    assert.ok(!result.stderr.includes("change-me-to-the-component-secret"), result.stderr);
  });
  // Own values: no warning.
  await withConfig(
    `[component]\njid = "facebook.example.org"\nsecret = "s3cret-value"\n` +
      `[gateway]\nadmins = ["me@my.domain"]\ndata = "g.kv"\n`,
    async (path) => {
      const result = await run(["--check-config", "--config", path]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, "");
    },
  );
});
