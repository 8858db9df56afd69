/**
 * One user's flood must not slow everyone (issue 12, fault 5), measured against the quiet figure
 * of the same run: another user's echo round trip (client → Prosody → gateway → simulated
 * Messenger's Echo Bot → gateway → Prosody → client), p50, while one user sends `--flood`
 * messages (default 5,000) as fast as their client writes them, against the same user's p50 with
 * nobody flooding. Target: within 3×.
 *
 *     deno run -A bench/fairness.ts [--flood 5000] [--quiet 40] [--rounds 3]
 *
 * Each round measures quiet then flood; the figure is the median of the rounds' ratios (a shared
 * machine's load comes and goes). For context the same rounds run with the flood addressed to a
 * user the XMPP server does not have, so the gateway never sees it: the server's own share of the
 * slowdown, which the gateway cannot go below. Prints each round's counts (sent, delivered to Messenger,
 * refused with an error, lost), the gateway's warning lines about the flood, and a machine line
 * for bench/run.ts:
 * `TARGET {"name":"other users' p50 during a flood vs quiet","value":…,"target":3,"met":…}`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { floodAndMeasure } from "../tests/e2e/_harness/flood.ts";
import { registeredUsers } from "../tests/e2e/_harness/registered_users.ts";

const { values } = parseArgs({
  options: { flood: { type: "string" }, quiet: { type: "string" }, rounds: { type: "string" } },
  strict: false,
});
const flood = Math.max(100, Math.min(Number(values.flood ?? 5000) || 5000, 50_000));
const quietRounds = Math.max(10, Math.min(Number(values.quiet ?? 40) || 40, 1000));
const rounds = Math.max(1, Math.min(Number(values.rounds ?? 3) || 3, 20));

await using t = await registeredUsers(2, { config: { log: { level: "info" } } });
const fmt = (ms: number) => ms.toFixed(1);
console.log(
  `fairness: user 1 floods ${flood} messages; user 2 chats with Echo Bot meanwhile ` +
    `(a message every 100 ms), ${rounds} rounds`,
);
const ratios: number[] = [];
for (let round = 1; round <= rounds; round++) {
  const result = await floodAndMeasure(t, { flood, quietRounds });
  ratios.push(result.ratio);
  console.log(
    `  round ${round}: flood written in ${fmt(result.floodWriteMs)} ms; sent ${result.sent}, ` +
      `delivered ${result.delivered}, refused with an error ${result.refused}, lost ` +
      `${result.lost}, duplicated ${result.duplicated}; gateway warning lines ` +
      `${result.warningLines.length}`,
  );
  console.log(
    `    other user: quiet p50 ${fmt(result.quietP50)} ms (${result.quietSamples} round trips), ` +
      `during the flood p50 ${fmt(result.floodP50)} ms, max ${fmt(result.floodMax)} ms ` +
      `(${result.floodSamples} round trips); ${result.otherLost} of ${result.otherSent} lost; ` +
      `ratio ${result.ratio.toFixed(2)}`,
  );
}
// The same flood addressed to a user the XMPP server does not have: the server answers each
// message itself and the gateway never sees one. What is left is the server's own share.
const serverOnly: number[] = [];
for (let round = 1; round <= rounds; round++) {
  const result = await floodAndMeasure(t, { flood, quietRounds, target: "nobody@localhost" });
  serverOnly.push(result.ratio);
  console.log(
    `  server alone, round ${round}: refused by the server ${result.refused}, lost ` +
      `${result.lost}; other user: quiet p50 ${fmt(result.quietP50)} ms, during the flood p50 ` +
      `${fmt(result.floodP50)} ms (${result.floodSamples} round trips); ratio ` +
      `${result.ratio.toFixed(2)}`,
  );
}
const median = (values: number[]) =>
  values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)];
const ratio = median(ratios);
console.log(`  RATIO other users' p50 flood/quiet = ${ratio.toFixed(2)} (median of ${rounds})`);
console.log(
  `  RATIO the same with the flood addressed to nobody@localhost (the XMPP server alone) = ` +
    `${median(serverOnly).toFixed(2)}`,
);
console.log(
  `TARGET ${
    JSON.stringify({
      name: "other users' p50 during a flood vs quiet",
      value: Number(ratio.toFixed(2)),
      target: 3,
      met: ratio <= 3,
    })
  }`,
);
