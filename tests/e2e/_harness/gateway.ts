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

    gateway = spawnGateway({
      config: configFile,
      dataDir: dir,
      worldFile,
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.args ? { args: opts.args } : {}),
      ...(opts.denoArgs ? { denoArgs: opts.denoArgs } : {}),
    });

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
