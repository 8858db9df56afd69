/**
 * The gateway for e2e tests: a test config and world file for a test's Prosody, and the gateway
 * process started on them (the process itself is `dev/gateway_process.ts`, shared with the demo).
 *
 * @module
 */

import { join } from "node:path";
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import type { ProsodyServer } from "./prosody.ts";
import { forgetDir, removeDirOnUnload } from "../../../dev/_util.ts";
import { type GatewayProcess, spawnGateway } from "../../../dev/gateway_process.ts";
import { type NamedSecret, recordLog } from "../../../dev/log_secrets.ts";

export { type GatewayProcess, REPO_ROOT } from "../../../dev/gateway_process.ts";

/** A TOML value as the tests write it (dates are rarely needed but valid). */
export type TomlValue = string | number | boolean | Date | TomlValue[] | TomlTable;

/** A TOML table; a key set to `undefined` in an override removes that key from the defaults. */
export interface TomlTable {
  [key: string]: TomlValue | undefined;
}

/**
 * The world file used when a test gives none: one account with one echoing friend, enough for a
 * login-and-chat round trip. Exported so tests can extend it instead of copying it.
 */
export const DEFAULT_WORLD = `[[account]]
email = "alice@example.com"
password = "correct horse"
user_id = "100001"
name = "Alice Example"

[[account.friend]]
id = "200001"
name = "Echo Bot"
echo = true
`;

/** Options for {@linkcode startGateway}. */
export interface GatewayOptions {
  /** Deep-merged over the default config (tables merge, other values replace, `undefined` deletes). */
  config?: TomlTable;
  /** TOML text parsed and deep-merged after `config`, for tests that prefer writing TOML. */
  toml?: string;
  /** World file contents for the simulated network; default {@linkcode DEFAULT_WORLD}. */
  world?: string;
  /** Extra environment variables (the parent's are inherited, minus `MESSENGER_GATEWAY_*`). */
  env?: Record<string, string>;
  /** Wait for the `component online` log line before resolving; default true. */
  expectOnline?: boolean;
  /** Bound on the wait for `component online`; default 20 s. */
  onlineTimeoutMs?: number;
  /** Extra command-line arguments after `--config FILE`. */
  args?: string[];
  /** Extra `deno run` flags before `main.ts` (benchmarks preload their probe this way). */
  denoArgs?: string[];
  /**
   * The program to run instead of `main.ts` (a test entry point that builds the app with another
   * network, e.g. fca pointed at the fake Facebook); it gets the same arguments.
   */
  entry?: string;
  /**
   * Secrets the gateway holds besides those in its config, world file and environment (e.g.
   * cookies in a seeded store): its log lines are searched for them after the run.
   */
  secrets?: NamedSecret[];
}

/** Plain object (including smol-toml's null-prototype tables), not an array or a date. */
function isTable(v: unknown): v is TomlTable {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/**
 * Deep-merge `override` into a copy of `base`: tables merge recursively, everything else replaces,
 * `undefined` deletes. Exported for tests that build world files or configs the same way.
 */
export function mergeToml(base: TomlTable, override: TomlTable): TomlTable {
  const out: TomlTable = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === undefined) {
      delete out[key];
    } else {
      const current = out[key];
      out[key] = isTable(current) && isTable(value) ? mergeToml(current, value) : value;
    }
  }
  return out;
}

/** The default config for `server`, with data and world under `dir`. */
function defaultConfig(server: ProsodyServer, dir: string): TomlTable {
  return {
    component: {
      jid: server.componentDomain,
      secret: server.componentSecret,
      server: "127.0.0.1",
      port: server.componentPort,
    },
    gateway: {
      name: "Facebook Messenger (test)",
      admins: ["admin@localhost"],
      data: join(dir, "gateway.kv"),
    },
    messenger: { backend: "simulated" },
    simulated: { world: join(dir, "world.toml") },
    log: { level: "debug" },
  };
}

/**
 * Write a config (defaults for `server`, merged with `opts.config` then `opts.toml`) and a world
 * file into a new temp dir, start `deno run --allow-all main.ts --config FILE` from the repo root,
 * and, unless `opts.expectOnline` is false, wait until the gateway logs `component online`.
 * On failure the process is killed, the temp dir removed, and the error quotes its output.
 */
export async function startGateway(
  server: ProsodyServer,
  opts: GatewayOptions = {},
): Promise<GatewayProcess> {
  const dir = await Deno.makeTempDir({ prefix: "e2e-gateway-" });
  removeDirOnUnload(dir);
  let gateway: GatewayProcess | undefined;
  try {
    let config = defaultConfig(server, dir);
    if (opts.config) config = mergeToml(config, opts.config);
    if (opts.toml) config = mergeToml(config, parseToml(opts.toml) as TomlTable);
    const configFile = join(dir, "gateway.toml");
    const worldFile = join(dir, "world.toml");
    await Deno.writeTextFile(configFile, stringifyToml(config));
    await Deno.writeTextFile(worldFile, opts.world ?? DEFAULT_WORLD);

    const recording = recordLog("gateway", [
      ...secretsOf(config, opts.world ?? DEFAULT_WORLD, opts.env ?? {}),
      ...(opts.secrets ?? []),
    ]);
    gateway = spawnGateway({
      config: configFile,
      dataDir: dir,
      worldFile,
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.args ? { args: opts.args } : {}),
      ...(opts.denoArgs ? { denoArgs: opts.denoArgs } : {}),
      ...(opts.entry ? { entry: opts.entry } : {}),
      ...(recording ? { onLine: (line: string) => recording.line(line) } : {}),
    });
    if (recording) void gateway.exited.finally(() => recording.close());

    if (opts.expectOnline ?? true) {
      await gateway.waitForLog(/component online/i, opts.onlineTimeoutMs ?? 20_000);
    }
    return gateway;
  } catch (e) {
    if (gateway) {
      await gateway[Symbol.asyncDispose]();
    } else {
      await Deno.remove(dir, { recursive: true }).catch(() => {});
      forgetDir(dir);
    }
    throw e;
  }
}

/** The secrets a gateway started with this config, world file and environment holds. */
function secretsOf(config: TomlTable, world: string, env: Record<string, string>): NamedSecret[] {
  const secrets: NamedSecret[] = [];
  const component = config.component as TomlTable | undefined;
  if (typeof component?.secret === "string") {
    secrets.push({ what: "the component secret", value: component.secret });
  }
  for (const name of ["MESSENGER_GATEWAY_SECRET", "MESSENGER_GATEWAY_STORE_KEY"]) {
    if (env[name]) secrets.push({ what: name, value: env[name] });
  }
  let parsed: TomlTable = {};
  try {
    parsed = parseToml(world) as TomlTable;
  } catch {
    // A test of a broken world file: nothing to take from it.
  }
  const accounts = Array.isArray(parsed.account) ? parsed.account as TomlTable[] : [];
  for (const account of accounts) {
    const who = String(account.email ?? account.user_id ?? "an account");
    for (const key of ["password", "two_factor_code"]) {
      const value = account[key];
      if (typeof value === "string") secrets.push({ what: `${key} of ${who}`, value });
    }
    if (typeof account.cookies === "string") secrets.push(...cookieSecrets(account.cookies, who));
  }
  return secrets;
}

/** The values of a `c_user=…; xs=…` string that are secret (all but the user id). */
export function cookieSecrets(cookies: string, who: string): NamedSecret[] {
  return cookies.split(";").flatMap((pair) => {
    const [name, ...rest] = pair.trim().split("=");
    const value = rest.join("=");
    return name && name !== "c_user" && value ? [{ what: `cookie ${name} of ${who}`, value }] : [];
  });
}
