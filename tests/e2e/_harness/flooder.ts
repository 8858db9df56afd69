/**
 * A flooding XMPP user in a process of its own (run by `flood.ts`): logs in, writes `--count`
 * chat messages to `--to` as fast as it can, then collects what comes back for each — an echo
 * (the message went through) or an error reply — and prints one JSON line with the outcome.
 *
 * Why its own process: parsing thousands of replies takes the flooder's client real CPU time;
 * in the measuring process it would slow the other user's client and be counted as the
 * gateway's unfairness.
 *
 *     deno run -A tests/e2e/_harness/flooder.ts --port 5222 --user u1 --password pw \
 *       --to 200001@facebook.localhost --count 5000 [--settle-ms 120000]
 *
 * Prints `flooding` when it starts, `written <ms>` once the flood is written, `settled` once every message has an outcome (or
 * `gave up` after `--settle-ms`), then `{"outcomes": …}` and exits.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { connectClient, type XmlElement } from "./client.ts";
import { chat } from "./registered_alice.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string" },
    user: { type: "string" },
    password: { type: "string" },
    to: { type: "string" },
    count: { type: "string" },
    "settle-ms": { type: "string" },
  },
});
const count = Number(values.count);
const to = values.to!;
const client = await connectClient(
  { domain: "localhost", c2sPort: Number(values.port) } as Parameters<typeof connectClient>[0],
  values.user!,
  values.password!,
);
client.clearPending();

/** Per flood id: echoes and error replies seen. */
const outcomes: Record<string, { echoed: number; errors: string[] }> = {};
let settledIds = 0;
const collect = (stanza: XmlElement) => {
  if (!stanza.is("message")) return;
  let id: string | undefined;
  let error: string | undefined;
  if (stanza.attrs.type === "error" && stanza.attrs.id?.startsWith("flood-")) {
    id = stanza.attrs.id;
    const element = stanza.getChild("error");
    const condition = element?.getChildElements().find((c) => c.name !== "text")?.name ?? "";
    error = `${condition}: ${element?.getChildText("text") ?? ""}`;
  } else if (stanza.attrs.from?.split("/")[0] === to) {
    const body = stanza.getChildText("body") ?? "";
    if (body.startsWith("flood ")) id = `flood-${body.slice("flood ".length)}`;
  }
  if (id === undefined) return;
  const outcome = outcomes[id] ??= (settledIds++, { echoed: 0, errors: [] });
  if (error === undefined) outcome.echoed++;
  else outcome.errors.push(error);
};

console.log("flooding");
const start = performance.now();
const writes: Promise<void>[] = [];
for (let i = 1; i <= count; i++) {
  writes.push(client.send(chat(to, `flood-${i}`, `flood ${i}`)));
}
await Promise.all(writes);
console.log(`written ${(performance.now() - start).toFixed(1)}`);
const deadline = Date.now() + Number(values["settle-ms"] ?? 120_000);
while (settledIds < count && Date.now() < deadline) {
  for (const stanza of client.pending()) collect(stanza);
  client.clearPending();
  await new Promise((resolve) => setTimeout(resolve, 50));
}
console.log(settledIds < count ? "gave up" : "settled");
// A last look, a moment later, for anything arriving twice.
await new Promise((resolve) => setTimeout(resolve, 500));
for (const stanza of client.pending()) collect(stanza);
console.log(JSON.stringify({ outcomes }));
await client.close();
