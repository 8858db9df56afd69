/**
 * The per-account copies of fca-unofficial's own files (fca_loader.ts): distinct per account,
 * sharing fca's dependencies, with per-copy substitutes. How the copies keep accounts apart in a
 * running Worker is shown end to end in shared_worker_test.ts.
 */

import "../../../src/messenger/fca/_worker_preamble.ts";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { loadFca } from "../../../src/messenger/fca/fca_loader.ts";

const fcaRequire = createRequire(createRequire(import.meta.url).resolve("fca-unofficial"));

Deno.test("each copy has its own fca files", () => {
  const first = loadFca();
  const second = loadFca();
  try {
    assert.notEqual(first.login, second.login);
    assert.notEqual(first.utils, second.utils);
    assert.notEqual(first.utils, fcaRequire("./utils.js"), "nor the package's ordinary instance");
    assert.equal(typeof first.utils.makeDefaults, "function");
    // What the adapter's hooks do to one copy's utils (fca_hooks.ts) stays with that copy.
    const wrapped = () => undefined;
    first.utils.makeDefaults = wrapped;
    assert.notEqual(second.utils.makeDefaults, wrapped);
  } finally {
    first.dispose();
    second.dispose();
  }
});

Deno.test("a substitute replaces a dependency for one copy only", () => {
  const marker = { maxRecordSize: 0, level: "info" };
  let sharedSeen: unknown;
  const substituted = loadFca({
    dependencies: {
      npmlog: (shared) => {
        sharedSeen = shared;
        return marker;
      },
    },
  });
  const plain = loadFca();
  try {
    assert.equal(sharedSeen, fcaRequire("npmlog"), "built from the shared module");
    assert.equal(marker.maxRecordSize, 100, "the copy's index.js configured the substitute");
    assert.notEqual(plain.utils, substituted.utils);
  } finally {
    substituted.dispose();
    plain.dispose();
  }
});
