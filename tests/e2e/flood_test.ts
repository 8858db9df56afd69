/**
 * One user's flood does not cost anyone else anything (issue 12, fault 5), through a real
 * Prosody: user 1 writes 5,000 messages to Echo Bot as fast as their client can while user 2
 * chats with Echo Bot. User 2 loses nothing; every one of user 1's messages either goes through
 * or comes back with an error asking to slow down (none lost, none twice); the gateway's log
 * says so in a bounded number of lines, with a count. The slowdown figure (user 2's p50 during
 * the flood against before it) is printed here and measured properly by `bench/fairness.ts`.
 */
import assert from "node:assert/strict";
import { floodAndMeasure } from "./_harness/flood.ts";
import { registeredUsers } from "./_harness/registered_users.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "a user's flood of 5,000 messages: they get errors, the other user loses nothing",
  ...e2e,
  async fn() {
    await using t = await registeredUsers(2, { config: { log: { level: "info" } } });
    const result = await floodAndMeasure(t, { flood: 5000, quietRounds: 20 });
    // Stopping writes the count of the refusals still pending in the log.
    assert.equal(await t.gateway.stop(), 0);
    const refusalLines = t.gateway.lines().filter((line) => /over the rate limit/.test(line));
    const warnings = t.gateway.lines().filter((line) => / WARNING /.test(line));
    console.log(
      `flood of one user: sent ${result.sent}, delivered ${result.delivered}, refused with an ` +
        `error ${result.refused}, lost ${result.lost}, duplicated ${result.duplicated}; the ` +
        `other user: sent ${result.otherSent}, lost ${result.otherLost}; their p50 ` +
        `${result.quietP50.toFixed(1)} ms quiet, ${result.floodP50.toFixed(1)} ms during the ` +
        `flood (${result.ratio.toFixed(1)}×, ${result.floodSamples} round trips); log lines ` +
        `about the refusals ${refusalLines.length}, warnings in all ${warnings.length}`,
    );
    assert.equal(result.otherLost, 0, "the other user lost messages");
    assert.equal(result.lost, 0, "messages of the flood neither delivered nor refused");
    assert.equal(result.duplicated, 0);
    assert.ok(result.refused > 0 && result.delivered > 0, JSON.stringify(result));
    assert.deepEqual([...result.errors.keys()].map((error) => error.split(":")[0]), [
      "resource-constraint",
    ]);
    assert.match([...result.errors.keys()][0], /please slow down/);
    // One line when it starts, one with the count: not one per message.
    assert.ok(refusalLines.length >= 2 && refusalLines.length <= 4, refusalLines.join("\n"));
    const counted = refusalLines.map((line) => Number(/\((\d+) more like this/.exec(line)?.[1]));
    assert.equal(
      counted.filter((n) => !Number.isNaN(n)).reduce((a, b) => a + b, 0) +
        refusalLines.filter((line) => !/more like this/.test(line)).length,
      result.refused,
      "the lines count every refusal",
    );
    assert.ok(warnings.length <= 6, warnings.join("\n"));
  },
});
