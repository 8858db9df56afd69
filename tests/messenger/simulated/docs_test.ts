/**
 * Runs every curl example of docs/simulated-network.md against a live simulated network and checks
 * that each answer has the shape (keys and value types) and the success or error status that the
 * documentation shows after it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { asThreadId } from "../../../src/messenger/ids.ts";
import { createSimulatedNetwork } from "../../../src/messenger/simulated/mod.ts";

const DOCS = new URL("../../../docs/simulated-network.md", import.meta.url);
const WORLD = new URL("../../../examples/world.toml", import.meta.url).pathname;
const DOCUMENTED_BASE = "http://127.0.0.1:7777";

interface Example {
  command: string;
  expected: unknown;
}

/** The curl commands of the control API section, each with the JSON block that follows it. */
function examplesOf(markdown: string): Example[] {
  const section = markdown.slice(
    markdown.indexOf("## Control API (HTTP)"),
    markdown.indexOf("## From TypeScript"),
  );
  const blocks = [...section.matchAll(/```(sh|json)\n([\s\S]*?)```/g)];
  const examples: Example[] = [];
  for (let index = 0; index < blocks.length; index++) {
    const [, language, body] = blocks[index];
    if (language !== "sh") continue;
    const next = blocks[index + 1];
    assert.equal(next?.[1], "json", `no JSON answer follows: ${body}`);
    examples.push({ command: body.trim(), expected: JSON.parse(next[2]) });
  }
  return examples;
}

/** Asserts that `actual` has the keys and value types of `expected`, recursively. */
function assertSameShape(expected: unknown, actual: unknown, path: string): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${path} should be an array`);
    for (let i = 0; i < Math.min(expected.length, actual.length); i++) {
      assertSameShape(expected[i], actual[i], `${path}[${i}]`);
    }
    return;
  }
  if (typeof expected === "object" && expected !== null) {
    assert.ok(typeof actual === "object" && actual !== null, `${path} should be an object`);
    assert.deepEqual(Object.keys(actual).toSorted(), Object.keys(expected).toSorted(), path);
    for (const [key, value] of Object.entries(expected)) {
      assertSameShape(value, (actual as Record<string, unknown>)[key], `${path}.${key}`);
    }
    return;
  }
  assert.equal(typeof actual, typeof expected, path);
}

Deno.test("every curl example of the documentation works as documented", async () => {
  const examples = examplesOf(await Deno.readTextFile(DOCS));
  assert.ok(examples.length >= 15, `only ${examples.length} examples found`);
  const network = await createSimulatedNetwork({
    world: WORLD,
    control: { hostname: "127.0.0.1", port: 0 },
  });
  const directory = await Deno.makeTempDir();
  try {
    await Deno.writeFile(
      `${directory}/photo.png`,
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
    // The scene the documentation describes: Alice logged in through the gateway, said hello.
    const login = await network.login({
      kind: "cookies",
      cookies: [
        { key: "c_user", value: "100001", domain: "facebook.com" },
        { key: "xs", value: "abc", domain: "facebook.com" },
      ],
    });
    if (login.kind !== "logged_in") throw new Error("Alice's cookies did not log in");
    await login.session.listen();
    await login.session.sendMessage(asThreadId("200002"), { text: "Hello Bob" }, {
      isGroup: false,
    });

    for (const { command, expected } of examples) {
      const runnable = command.replaceAll(DOCUMENTED_BASE, network.controlUrl ?? "") +
        ` -w '\\n%{http_code}'`;
      const output = await new Deno.Command("sh", {
        args: ["-c", runnable],
        cwd: directory,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(output.stdout);
      assert.equal(output.code, 0, `${command}\n${new TextDecoder().decode(output.stderr)}`);
      const newline = text.lastIndexOf("\n");
      const status = Number(text.slice(newline + 1));
      const body = JSON.parse(text.slice(0, newline));
      const isError = typeof expected === "object" && expected !== null && "error" in expected;
      assert.equal(isError ? status >= 400 : status < 300, true, `${command}\n→ ${status} ${text}`);
      assertSameShape(expected, body, command.split("\n")[0]);
    }
  } finally {
    await network.close();
    await Deno.remove(directory, { recursive: true });
  }
});
