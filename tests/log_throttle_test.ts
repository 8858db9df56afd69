import assert from "node:assert/strict";
import FakeTimers from "@sinonjs/fake-timers";
import { LogThrottle } from "../src/log_throttle.ts";

function throttle(options: { windowMs?: number; maxKeys?: number } = {}) {
  const clock = FakeTimers.createClock();
  const lines: string[] = [];
  const log = new LogThrottle({
    ...options,
    timers: {
      setTimeout: (callback, ms) => clock.setTimeout(callback, ms),
      clearTimeout: (handle) => clock.clearTimeout(handle as number),
    },
  });
  const say = (key: string, text: string) =>
    log.line(key, (repeats) => lines.push(`${text}${log.note(repeats)}`));
  return { clock, lines, log, say };
}

Deno.test("a line repeated thousands of times is written once, then once with its count", () => {
  const { clock, lines, say } = throttle({ windowMs: 10_000 });
  for (let i = 1; i <= 5000; i++) say("refused alice", `refused message ${i}`);
  assert.deepEqual(lines, ["refused message 1"]);
  clock.tick(10_000);
  assert.deepEqual(lines, [
    "refused message 1",
    "refused message 5000 (4999 more like this in the last 10 s)",
  ]);
  // Quiet for a window: nothing more is written, and the next one is written at once again.
  clock.tick(10_000);
  assert.equal(lines.length, 2);
  say("refused alice", "refused again");
  assert.equal(lines.at(-1), "refused again");
});

Deno.test("a flood that goes on costs one line per window, with each window's count", () => {
  const { clock, lines, say } = throttle({ windowMs: 1000 });
  for (let second = 0; second < 3; second++) {
    for (let i = 0; i < 100; i++) say("flood", "flood");
    clock.tick(1000);
  }
  assert.deepEqual(lines, [
    "flood",
    "flood (99 more like this in the last 1 s)",
    "flood (100 more like this in the last 1 s)",
    "flood (100 more like this in the last 1 s)",
  ]);
});

Deno.test("different kinds of lines are throttled separately", () => {
  const { lines, say } = throttle();
  say("a", "about a");
  say("b", "about b");
  say("a", "about a again");
  assert.deepEqual(lines, ["about a", "about b"]);
});

Deno.test("flush writes pending counts at once (the program stops)", () => {
  const { lines, log, say } = throttle();
  say("a", "a");
  say("a", "a");
  say("a", "a");
  say("b", "b");
  log.flush();
  assert.deepEqual(lines, ["a", "b", "a (2 more like this in the last 10 s)"]);
});

Deno.test("beyond maxKeys lines are written as they come rather than remembered", () => {
  const { lines, say } = throttle({ maxKeys: 2 });
  for (const key of ["a", "b", "c", "c"]) say(key, key);
  assert.deepEqual(lines, ["a", "b", "c", "c"]);
});
