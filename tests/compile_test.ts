/**
 * Builds the single binary with `deno task compile` and runs it, when the `denort` runtime can be
 * had (DENO_DIR cache, network, or DENORT_BIN). Otherwise the test is ignored with a one-line
 * reason in its name: a binary that was not built is never reported as tested.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { VERSION } from "../src/version.ts";

const REPO = fileURLToPath(new URL("../", import.meta.url));
const BINARY = `${REPO}dist/messenger-gateway`;

async function denortUnavailableReason(): Promise<string | null> {
  const denort = Deno.env.get("DENORT_BIN");
  if (denort) {
    try {
      await Deno.stat(denort);
      return null;
    } catch {
      return `DENORT_BIN=${denort} does not exist`;
    }
  }
  try {
    const response = await fetch("https://dl.deno.land/", {
      method: "HEAD",
      signal: AbortSignal.timeout(3000),
    });
    await response.body?.cancel();
    return null;
  } catch {
    return "the denort runtime cannot be downloaded (dl.deno.land unreachable) and DENORT_BIN is unset";
  }
}

const reason = await denortUnavailableReason();

async function run(args: string[], env: Record<string, string> = {}) {
  const output = await new Deno.Command(BINARY, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test({
  name: reason === null
    ? "the compiled binary runs the gateway program, not a Deno REPL"
    : `the compiled binary is not built here: ${reason}`,
  ignore: reason !== null,
  sanitizeResources: false,
  async fn() {
    const build = await new Deno.Command(Deno.execPath(), {
      args: ["task", "compile"],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(300_000),
    }).output();
    assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));

    const version = await run(["--version"]);
    assert.equal(
      version.stdout.trim(),
      `messenger-gateway ${VERSION}`,
      `the binary did not run the program (a REPL prints its banner instead): ${version.stdout}${version.stderr}`,
    );
    assert.equal(version.code, 0);

    const dir = await Deno.makeTempDir();
    try {
      const good = `${dir}/good.toml`;
      await Deno.writeTextFile(
        good,
        `[component]\njid = "facebook.localhost"\nsecret = "binary-test-secret"\n` +
          `[gateway]\ndata = "${dir}/gateway.kv"\n`,
      );
      const check = await run(["--check-config", "--config", good]);
      assert.equal(check.code, 0, check.stderr);
      assert.match(check.stdout, /is valid/);

      const bad = `${dir}/bad.toml`;
      await Deno.writeTextFile(bad, `[component]\njid = "facebook.localhost"\nport = "x"\n`);
      const refused = await run(["--check-config", "--config", bad]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /component\.port/);
      assert.match(refused.stderr, /bad\.toml/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
