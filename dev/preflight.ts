/**
 * Makes sure the system packages a task needs are there before it starts: Prosody and its
 * community modules (the demo's and the e2e tests' XMPP server, with XEP-0356 `mod_privilege`),
 * and Python's slixmpp (the e2e tests' independent client).
 *
 * Why before: a test run without Prosody fails dozens of tests with "Failed to spawn", which says
 * nothing about the fix. Instead, on Debian or Ubuntu as root the packages are installed with
 * apt-get (its output goes to `.state/apt.log`); anywhere else one line names the command to run,
 * and the exit status is non-zero before any test starts.
 *
 * `deno run -A dev/preflight.ts test` (or `demo`) checks what `deno task test` (or `demo`) needs
 * (the task runs it first), then installs the npm dependencies (see dev/dependencies.ts): in a
 * process of its own, because a Deno process cannot load npm packages installed after it started.
 *
 * @module
 */

import { dirname } from "node:path";
import { installDependencies } from "./dependencies.ts";
import { prosodyHasModule } from "./prosody.ts";
import { statePath } from "./paths.ts";
import { step } from "./progress.ts";

/** A Debian package a dev/ tool needs, and how to tell it is installed on any system. */
export interface SystemPackage {
  /** The Debian (and Ubuntu) package name. */
  name: string;
  /** What it provides, for the message on systems without apt-get. */
  provides: string;
  /** True when what the tools use of it is there. */
  present(): Promise<boolean>;
}

/** `prosody`: the XMPP server, at the path dev/prosody.ts starts. */
export const PROSODY: SystemPackage = {
  name: "prosody",
  provides: "Prosody 0.12 or newer (/usr/bin/prosody, /usr/bin/prosodyctl)",
  present: () => Promise.resolve(isFile("/usr/bin/prosody") && isFile("/usr/bin/prosodyctl")),
};

/** `prosody-modules`: Prosody's community modules, for XEP-0356 `mod_privilege`. */
export const PROSODY_MODULES: SystemPackage = {
  name: "prosody-modules",
  provides: "Prosody's community module mod_privilege (in /usr/lib/prosody/modules)",
  present: () => Promise.resolve(prosodyHasModule("privilege")),
};

/** `python3-slixmpp`: the independent XMPP client of the e2e tests. */
export const PYTHON3_SLIXMPP: SystemPackage = {
  name: "python3-slixmpp",
  provides: "Python 3 with slixmpp (/usr/bin/python3 -c 'import slixmpp')",
  present: async () => {
    if (!isFile("/usr/bin/python3")) return false;
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", "import slixmpp"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  },
};

/** A package is missing and cannot be installed here: `message` is the one line to show. */
export class MissingPackages extends Error {
  override name = "MissingPackages";
}

/** What {@link ensurePackages} may use; the defaults describe this machine (tests replace them). */
export interface InstallerEnvironment {
  /** Whether we run as root; default `Deno.uid() === 0`. */
  root?: boolean;
  /** The apt-get to run, or null where there is none; default /usr/bin/apt-get on dpkg systems. */
  aptGet?: string | null;
  /** Delay before the second apt-get attempt (twice that before the third); default 10 s. */
  retryDelayMs?: number;
  /** Where apt-get's output goes; default `.state/apt.log`. */
  log?: { path: string; shown: string };
  /** Runs the install as one progress line; default {@link step} (stdout). */
  step?: <T>(title: string, work: () => Promise<T>) => Promise<T>;
}

/**
 * Installs the missing ones of `packages` with apt-get when this is Debian or Ubuntu and we are
 * root (printing one progress line); otherwise throws {@link MissingPackages} whose message names
 * the command to run. Does nothing, silently, when everything is there.
 */
export async function ensurePackages(
  packages: readonly SystemPackage[],
  environment: InstallerEnvironment = {},
): Promise<void> {
  const missing = await missingOf(packages);
  if (missing.length === 0) return;
  const names = missing.map((p) => p.name).join(" ");
  const command = `apt-get install --no-install-recommends ${names}`;
  const aptGet = environment.aptGet === undefined ? systemAptGet() : environment.aptGet;
  if (aptGet === null) {
    throw new MissingPackages(
      `Missing: ${missing.map((p) => p.provides).join("; ")}. ` +
        "Install them with your system's package manager (Debian/Ubuntu: " + `${command})`,
    );
  }
  if (!(environment.root ?? Deno.uid() === 0)) {
    throw new MissingPackages(`Missing Debian packages ${names}: run: sudo ${command}`);
  }
  const log = environment.log ?? statePath("apt.log");
  await (environment.step ?? step)(
    `Installing ${names} with apt-get (log: ${log.shown})`,
    async () => {
      await Deno.mkdir(dirname(log.path), { recursive: true });
      await Deno.writeTextFile(log.path, "");
      const delayMs = environment.retryDelayMs ?? 10_000;
      await apt(aptGet, log, delayMs, ["update"]);
      await apt(aptGet, log, delayMs, [
        "install",
        "-y",
        "--no-install-recommends",
        ...missing.map((p) => p.name),
      ]);
    },
  );
  const still = await missingOf(missing);
  if (still.length > 0) {
    throw new MissingPackages(
      `apt-get installed ${names}, but ${still.map((p) => p.provides).join("; ")} ` +
        `is still missing: see ${log.shown}`,
    );
  }
}

async function missingOf(packages: readonly SystemPackage[]): Promise<SystemPackage[]> {
  const present = await Promise.all(packages.map((p) => p.present()));
  return packages.filter((_, i) => !present[i]);
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** apt-get on Debian, Ubuntu and their derivatives (where dpkg is there too), else null. */
function systemAptGet(): string | null {
  return isFile("/usr/bin/apt-get") && isFile("/usr/bin/dpkg") ? "/usr/bin/apt-get" : null;
}

/** Runs apt-get (output appended to `log`), retrying twice: mirrors fail now and then. */
async function apt(
  aptGet: string,
  log: { path: string; shown: string },
  delayMs: number,
  args: string[],
): Promise<void> {
  for (let attempt = 1;; attempt++) {
    const out = await new Deno.Command(aptGet, {
      args: ["-q", ...args],
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    await Deno.writeFile(log.path, out.stdout, { append: true });
    await Deno.writeFile(log.path, out.stderr, { append: true });
    if (out.success) return;
    if (attempt === 3) {
      throw new MissingPackages(`apt-get ${args[0]} failed: see ${log.shown}`);
    }
    await new Promise((resolve) => setTimeout(resolve, attempt * delayMs));
  }
}

/** What each task needs before it starts, and where the dependencies' install log goes. */
const TASKS = {
  test: {
    packages: [PROSODY, PROSODY_MODULES, PYTHON3_SLIXMPP],
    needs: "The tests need Prosody and slixmpp.",
    log: "install.log",
  },
  demo: {
    packages: [PROSODY, PROSODY_MODULES],
    needs: "The demo needs Prosody.",
    log: "demo/install.log",
  },
} as const;

/** When `deno task demo` began, for the demo's "Ready in …" (the preflight runs first). */
export const DEMO_STARTED = "demo/started";

if (import.meta.main) {
  const name = Deno.args[0] ?? "test";
  if (name !== "test" && name !== "demo") {
    console.error(`Usage: deno run -A dev/preflight.ts [test|demo] (not ${name})`);
    Deno.exit(2);
  }
  const task = TASKS[name];
  const log = statePath(task.log);
  await Deno.mkdir(dirname(log.path), { recursive: true });
  if (name === "demo") await Deno.writeTextFile(statePath(DEMO_STARTED).path, `${Date.now()}`);
  try {
    await ensurePackages(task.packages);
  } catch (error) {
    if (!(error instanceof MissingPackages)) throw error;
    console.error(`${task.needs} ${error.message}`);
    Deno.exit(1);
  }
  try {
    await step(`Fetching dependencies (log: ${log.shown})`, () => installDependencies(log));
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
}
