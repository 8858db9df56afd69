/**
 * The test task's preflight: missing system packages are installed with apt-get as root on
 * Debian, and otherwise named in one line with the command to run, before any test starts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ensurePackages,
  MissingPackages,
  PROSODY,
  PROSODY_MODULES,
  PYTHON3_SLIXMPP,
  type SystemPackage,
} from "../../dev/preflight.ts";

/** A package that is there once `marker` exists (a fake apt-get creates it). */
function fakePackage(name: string, marker: string): SystemPackage {
  return {
    name,
    provides: `the ${name} tool`,
    present: () => Deno.stat(marker).then(() => true, () => false),
  };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "preflight-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** An apt-get stand-in: records its arguments; `install` creates the markers (or fails). */
async function fakeAptGet(dir: string, install: "works" | "fails"): Promise<string> {
  const path = join(dir, "apt-get");
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\necho "apt-get $*" >> ${dir}/calls\n` +
      (install === "works"
        ? `case "$*" in *install*) for p in "$@"; do touch ${dir}/installed-$p; done;; esac\n`
        : "exit 100\n"),
  );
  await Deno.chmod(path, 0o755);
  return path;
}

Deno.test("the packages the tests need are found on this machine", async () => {
  for (const pkg of [PROSODY, PROSODY_MODULES, PYTHON3_SLIXMPP]) {
    assert.equal(await pkg.present(), true, `${pkg.name} is not installed`);
  }
  await ensurePackages([PROSODY, PROSODY_MODULES, PYTHON3_SLIXMPP], { aptGet: null });
});

Deno.test("not root on Debian: one line naming the sudo apt-get command, nothing run", async () => {
  await withDir(async (dir) => {
    const aptGet = await fakeAptGet(dir, "works");
    const packages = [fakePackage("fake-a", `${dir}/a`), fakePackage("fake-b", `${dir}/b`)];
    await assert.rejects(
      ensurePackages(packages, { root: false, aptGet }),
      (error: unknown) =>
        error instanceof MissingPackages &&
        error.message ===
          "Missing Debian packages fake-a fake-b: run: sudo apt-get install " +
            "--no-install-recommends fake-a fake-b",
    );
    await assert.rejects(Deno.stat(`${dir}/calls`), Deno.errors.NotFound);
  });
});

Deno.test("without apt-get: names what is missing and the Debian command", async () => {
  await withDir(async (dir) => {
    const present = fakePackage("fake-ok", `${dir}/ok`);
    await Deno.writeTextFile(`${dir}/ok`, "");
    await assert.rejects(
      ensurePackages([present, fakePackage("fake-a", `${dir}/a`)], { root: true, aptGet: null }),
      (error: unknown) =>
        error instanceof MissingPackages &&
        /^Missing: the fake-a tool\. Install them with your system's package manager/.test(
          error.message,
        ) && error.message.includes("apt-get install --no-install-recommends fake-a)") &&
        !error.message.includes("fake-ok"),
    );
  });
});

Deno.test("as root on Debian the missing packages are installed with apt-get", async () => {
  await withDir(async (dir) => {
    const aptGet = await fakeAptGet(dir, "works");
    await Deno.writeTextFile(`${dir}/installed-fake-b`, "");
    const packages = [
      fakePackage("fake-a", `${dir}/installed-fake-a`),
      fakePackage("fake-b", `${dir}/installed-fake-b`),
    ];
    const steps: string[] = [];
    await ensurePackages(packages, {
      root: true,
      aptGet,
      log: { path: join(dir, "logs", "apt.log"), shown: "apt.log" },
      step: (title, work) => (steps.push(title), work()),
    });
    assert.deepEqual(steps, ["Installing fake-a with apt-get (log: apt.log)"]);
    assert.deepEqual((await Deno.readTextFile(`${dir}/calls`)).trim().split("\n"), [
      "apt-get -q update",
      "apt-get -q install -y --no-install-recommends fake-a",
    ]);
    assert.equal(await packages[0].present(), true);
  });
});

Deno.test("a failing apt-get is tried three times, then named with its log", async () => {
  await withDir(async (dir) => {
    const aptGet = await fakeAptGet(dir, "fails");
    await assert.rejects(
      ensurePackages([fakePackage("fake-a", `${dir}/a`)], {
        root: true,
        aptGet,
        retryDelayMs: 0,
        log: { path: join(dir, "apt.log"), shown: "the-apt.log" },
        step: (_title, work) => work(),
      }),
      (error: unknown) =>
        error instanceof MissingPackages &&
        error.message === "apt-get update failed: see the-apt.log",
    );
    assert.equal((await Deno.readTextFile(`${dir}/calls`)).trim().split("\n").length, 3);
  });
});
