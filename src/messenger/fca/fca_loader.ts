/**
 * Worker-only: a fresh copy of fca-unofficial's own code for each account, its dependencies
 * shared by every account of the Worker.
 *
 * fca keeps per-login state at module level: `listenMqtt.js` keeps `getSeqID` (bound to the last
 * login's cookies and context) and the sequence-id `form`, `index.js` a 2FA timer, `utils.js` the
 * `request` it proxies. Two accounts on one copy cross wires: the second login's `getSeqID` would
 * restart the first account's listener as the second account. Node's `require` evaluates a file
 * once per isolate, so this loader evaluates fca's CommonJS files itself: each {@link loadFca}
 * gets its own module cache for the files of the fca package (index.js, utils.js, src/*.js), and
 * resolves everything else (request, mqtt, cheerio, bluebird, npmlog…) through the isolate's
 * ordinary `require`, loaded once and shared. That is what makes several accounts per Worker
 * cheap (see docs/admin-guide.md, "Sizing").
 *
 * The copy also gets timers of its own (fca's files see these instead of the global ones), so
 * {@link FcaInstance.dispose} can stop what fca scheduled after an account leaves a Worker that
 * goes on (its MQTT retry after 5 s, the 2FA poll), as terminating a Worker would. Each file is
 * read and compiled once per Worker; a copy costs only its own closures and state (≈ 1 MiB per
 * logged-in account, measured by bench/fca_memory.ts). fca's API modules (src/*.js) are built for
 * every login by `buildAPI`, though the adapter calls fewer than half of them: a copy evaluates
 * each on its first call instead (measured: ≈ 0.7 MiB less per account at 10 per Worker).
 *
 * @module
 */

// The package itself, loaded once the ordinary way: keeps it in the module graph (so it is
// installed and embedded by `deno compile`) and its dependencies warm. Its state goes unused.
import "fca-unofficial";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, sep } from "node:path";
import vm from "node:vm";

// deno-lint-ignore no-explicit-any
type Fca = any;

/** fca's `login(credentials, options, callback)`. */
export type FcaLogin = (credentials: unknown, options: unknown, callback: Fca) => unknown;

/** One account's copy of fca. */
export interface FcaInstance {
  /** This copy's `login` (index.js). */
  readonly login: FcaLogin;
  /** This copy's `utils.js` (what its login and API functions call). */
  readonly utils: Fca;
  /** Clears every timer this copy's files set, and refuses new ones. Idempotent. */
  dispose(): void;
}

/** What a copy of fca is given instead of a shared dependency or the global timers. */
export interface FcaLoadOptions {
  /**
   * Per-copy replacements of dependencies fca's files require by bare name, built from the shared
   * one: e.g. `request` with this account's headers.
   */
  dependencies?: Record<string, (shared: Fca) => unknown>;
}

const sharedRequire = createRequire(import.meta.url);
const ENTRY = sharedRequire.resolve("fca-unofficial");
const PACKAGE_ROOT = dirname(ENTRY) + sep;
const API_DIR = PACKAGE_ROOT + "src" + sep;

/**
 * API modules evaluated at login all the same: those the listener needs at once, and
 * `threadColors`, whose factory builds an object (every other one builds a function).
 */
const EAGER_API_MODULES = new Set([
  "addExternalModule",
  "getCurrentUserID",
  "listenMqtt",
  "threadColors",
]);

interface CommonJsModule {
  exports: Fca;
  filename: string;
}

type ModuleFunction = (
  exports: Fca,
  require: (specifier: string) => unknown,
  module: CommonJsModule,
  __filename: string,
  __dirname: string,
  setTimeout: typeof globalThis.setTimeout,
  setInterval: typeof globalThis.setInterval,
  clearTimeout: typeof globalThis.clearTimeout,
  clearInterval: typeof globalThis.clearInterval,
) => void;

/** Compiled wrappers by file: the source is read and compiled once per isolate. */
const compiled = new Map<string, ModuleFunction>();
const resolvers = new Map<string, NodeJS.Require>();

function compile(filename: string): ModuleFunction {
  let fn = compiled.get(filename);
  if (fn === undefined) {
    const source = readFileSync(filename, "utf8");
    const wrapper = "(function (exports, require, module, __filename, __dirname, setTimeout, " +
      "setInterval, clearTimeout, clearInterval) {" + source + "\n})";
    fn = vm.runInThisContext(wrapper, { filename }) as ModuleFunction;
    compiled.set(filename, fn);
  }
  return fn;
}

function resolverFor(filename: string): NodeJS.Require {
  let resolver = resolvers.get(filename);
  if (resolver === undefined) {
    resolver = createRequire(filename);
    resolvers.set(filename, resolver);
  }
  return resolver;
}

function isPackageFile(path: string): boolean {
  return path.startsWith(PACKAGE_ROOT) && !path.slice(PACKAGE_ROOT.length).includes("node_modules");
}

/** Evaluates a fresh copy of fca's own files (see the module documentation). */
export function loadFca(options: FcaLoadOptions = {}): FcaInstance {
  const cache = new Map<string, CommonJsModule>();
  const substitutes = new Map<string, unknown>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let disposed = false;

  const timerApi = {
    setTimeout: ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      if (disposed) return undefined;
      const handle = setTimeout(() => {
        timers.delete(handle);
        callback(...args);
      }, ms);
      timers.add(handle);
      return handle;
    }) as typeof setTimeout,
    setInterval: ((callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      if (disposed) return undefined;
      const handle = setInterval(callback, ms, ...args);
      timers.add(handle);
      return handle;
    }) as typeof setInterval,
    clearTimeout: ((handle?: ReturnType<typeof setTimeout>) => {
      if (handle === undefined) return;
      timers.delete(handle);
      clearTimeout(handle);
    }) as typeof clearTimeout,
    clearInterval: ((handle?: ReturnType<typeof setInterval>) => {
      if (handle === undefined) return;
      timers.delete(handle);
      clearInterval(handle);
    }) as typeof clearInterval,
  };

  const load = (filename: string): Fca => {
    const cached = cache.get(filename);
    if (cached !== undefined) return cached.exports;
    const module: CommonJsModule = { exports: {}, filename };
    cache.set(filename, module);
    try {
      compile(filename).call(
        module.exports,
        module.exports,
        (specifier) => requireFrom(filename, specifier),
        module,
        filename,
        dirname(filename),
        timerApi.setTimeout,
        timerApi.setInterval,
        timerApi.clearTimeout,
        timerApi.clearInterval,
      );
    } catch (error) {
      cache.delete(filename);
      throw error;
    }
    return module.exports;
  };

  const requireFrom = (from: string, specifier: string): unknown => {
    const substitute = substituteFor(specifier);
    if (substitute !== undefined) return substitute;
    const resolver = resolverFor(from);
    const path = resolver.resolve(specifier);
    if (!isPackageFile(path)) return resolver(specifier);
    if (path.startsWith(API_DIR) && !cache.has(path)) {
      const name = path.slice(API_DIR.length).replace(/\.js$/, "");
      if (!EAGER_API_MODULES.has(name)) return lazyApiModule(() => load(path));
    }
    return load(path);
  };

  const substituteFor = (specifier: string): unknown => {
    const make = options.dependencies?.[specifier];
    if (make === undefined) return undefined;
    if (!substitutes.has(specifier)) substitutes.set(specifier, make(sharedDependency(specifier)));
    return substitutes.get(specifier);
  };

  return {
    login: load(ENTRY) as FcaLogin,
    utils: load(PACKAGE_ROOT + "utils.js"),
    dispose() {
      disposed = true;
      for (const handle of timers) clearTimeout(handle);
      timers.clear();
    },
  };
}

/**
 * An API module's factory, `(defaultFuncs, api, ctx) => apiFunction` as `buildAPI` calls it, whose
 * module is evaluated and built on the API function's first call.
 */
function lazyApiModule(load: () => Fca) {
  return (defaultFuncs: Fca, api: Fca, ctx: Fca) => {
    let built: Fca;
    return function (this: unknown, ...args: unknown[]) {
      built ??= load()(defaultFuncs, api, ctx);
      return built.apply(this, args);
    };
  };
}

function sharedDependency(specifier: string): Fca {
  return resolverFor(ENTRY)(specifier);
}
