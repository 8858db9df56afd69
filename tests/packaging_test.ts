/**
 * What ships for admins besides the code: the systemd units in packaging/ (checked by systemd
 * itself, and the source unit's command run for real), and what git must never pick up.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { spawnCaptured } from "../dev/captured_process.ts";
import { REPO_ROOT } from "../dev/paths.ts";

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

const SYSTEMD_ANALYZE = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].find(isFile);

/** Runs a program as another user, in place (the exit code stays the program's). */
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find(isFile);
/** The uid and gid of `nobody`/`nogroup` on Debian. */
const NOBODY = 65534;

const UNITS = {
  binary: join(REPO_ROOT, "packaging", "messenger-gateway.service"),
  source: join(REPO_ROOT, "packaging", "messenger-gateway-source.service"),
};

/** The paths the units name, and where a test puts them instead. */
const BINARY = "/usr/local/bin/messenger-gateway";
const CHECKOUT = "/opt/messenger-gateway";

/**
 * A copy of `unit` whose program paths point into `root` (where the caller puts executables),
 * so that `systemd-analyze verify`, which checks that ExecStart exists, can run anywhere.
 */
async function relocated(unit: string, root: string, checkout: string): Promise<string> {
  const text = (await Deno.readTextFile(unit))
    .replaceAll(BINARY, join(root, "usr/local/bin/messenger-gateway"))
    .replaceAll(CHECKOUT, checkout);
  const path = join(root, unit.split("/").pop()!);
  await Deno.writeTextFile(path, text);
  return path;
}

/** An empty shell script at `path`, standing for a program a unit starts. */
async function executable(path: string): Promise<void> {
  await Deno.mkdir(join(path, ".."), { recursive: true });
  await Deno.writeTextFile(path, "#!/bin/sh\n", { mode: 0o755 });
}

/** Whether every folder down to `path` lets other users through (a checkout under /root does not). */
function othersMayEnter(path: string): boolean {
  const parts = path.split("/").filter(Boolean);
  return parts.every((_, i) => {
    const mode = Deno.statSync(`/${parts.slice(0, i + 1).join("/")}`).mode ?? 0;
    return (mode & 0o001) !== 0;
  });
}

/** `[Service]` settings of a unit: `ExecStart`, `Environment` lines (last wins per key), … */
async function serviceSettings(unit: string): Promise<Map<string, string[]>> {
  const settings = new Map<string, string[]>();
  for (const line of (await Deno.readTextFile(unit)).split("\n")) {
    const match = line.match(/^([A-Za-z]+)=(.*)$/);
    if (match) settings.set(match[1], [...(settings.get(match[1]) ?? []), match[2]]);
  }
  return settings;
}

for (const [kind, unit] of Object.entries(UNITS)) {
  Deno.test({
    name: `the ${kind} systemd unit passes systemd-analyze verify` +
      (SYSTEMD_ANALYZE ? "" : " (ignored: systemd-analyze is not installed here)"),
    ignore: SYSTEMD_ANALYZE === undefined,
    async fn() {
      const root = await Deno.makeTempDir({ prefix: "unit-test-" });
      try {
        await executable(join(root, "usr/local/bin/messenger-gateway"));
        await executable(join(root, "opt/messenger-gateway/.tools/deno"));
        const copy = await relocated(unit, root, join(root, "opt/messenger-gateway"));
        const out = await new Deno.Command(SYSTEMD_ANALYZE!, {
          args: ["verify", copy],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const said = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
        assert.equal(out.code, 0, said);
        // Unknown keys and unparsable values are only warnings for systemd: fail on them too.
        assert.equal(said.trim(), "", said);
      } finally {
        await Deno.remove(root, { recursive: true });
      }
    },
  });
}

Deno.test({
  name: "the source unit's command starts the gateway from the checkout (pinned Deno, no " +
    "download, a fresh DENO_DIR; as an unprivileged user when run as root)",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "unit-test-" });
    try {
      // This checkout stands for /opt/messenger-gateway, this Deno (copied: the user running it
      // may not see into root's npm cache) for the pinned .tools/deno.
      const checkout = REPO_ROOT.replace(/\/$/, "");
      const deno = join(root, "tools", "deno");
      await Deno.mkdir(join(root, "tools"));
      await Deno.copyFile(Deno.execPath(), deno);
      const copy = await relocated(UNITS.source, root, checkout);
      const settings = await serviceSettings(copy);
      const [program, ...args] = settings.get("ExecStart")![0]
        .replace(join(checkout, ".tools", "deno"), deno)
        .split(/\s+/);
      const config = join(root, "config.toml");
      await Deno.writeTextFile(
        config,
        `[component]\njid = "facebook.example.org"\nsecret = "s3cret-value"\nport = 1\n` +
          `[gateway]\ndata = ":memory:"\n`,
      );
      const env: Record<string, string> = { PATH: "/usr/bin:/bin" };
      for (const line of settings.get("Environment") ?? []) {
        const [key, ...value] = line.split("=");
        env[key] = value.join("=").replace("%C", join(root, "cache"));
      }
      assert.equal(env.DENO_DIR, join(root, "cache", "messenger-gateway"));
      const command = [
        program,
        ...args.map((arg) => arg === "/etc/messenger-gateway/config.toml" ? config : arg),
      ];
      // As root, run it as systemd's DynamicUser would: an unprivileged user who cannot write
      // the checkout, only the cache folder.
      const asNobody = Deno.uid() === 0 && SETPRIV !== undefined && othersMayEnter(checkout);
      if (asNobody) {
        await Deno.mkdir(env.DENO_DIR, { recursive: true });
        await Deno.chown(env.DENO_DIR, NOBODY, null);
        await Deno.chmod(root, 0o755);
        await Deno.chmod(config, 0o644);
      }
      const gateway = spawnCaptured(
        asNobody ? SETPRIV! : command[0],
        asNobody
          ? [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "--", ...command]
          : command.slice(1),
        { cwd: settings.get("WorkingDirectory")![0], env, name: "gateway" },
      );
      // Everything loaded: the app started and tries the (absent) XMPP server.
      await gateway.waitForLog(/Cannot reach the XMPP server at 127\.0\.0\.1:1/, 60_000);
      assert.equal(await gateway.stop("SIGTERM"), 0, gateway.output());
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("config.toml (it holds the component secret) is ignored by git", async () => {
  for (const path of ["config.toml", "some/folder/config.toml", ".state/demo/gateway.log"]) {
    const out = await new Deno.Command("git", {
      args: ["check-ignore", "--quiet", path],
      cwd: REPO_ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, `${path} is not ignored ${new TextDecoder().decode(out.stderr)}`);
  }
});
