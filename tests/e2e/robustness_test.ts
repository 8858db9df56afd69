/**
 * "One user's bad stanza never crashes the component, and one user can touch nobody else's
 * state", through a real Prosody: a registered user sends a generated hostile corpus of 10,000
 * stanzas (50,000 with SOAK=1; seeded, see _harness/hostile_corpus.ts), pipelined, while another
 * user with a private group and messages of her own sits by. Every iq is answered exactly once,
 * with the condition its kind calls for; what must bounce bounces once; no answer is large;
 * nothing is an internal-server-error; the gateway neither crashes nor loses its stream; and the
 * other user sees nothing, her Messenger account is not acted on, her room's archive is unchanged.
 */
import assert from "node:assert/strict";
import { xml, type XmlElement } from "./_harness/client.ts";
import { roomArchive } from "./_harness/gateway_client.ts";
import { type CorpusEntry, hostileCorpus } from "./_harness/hostile_corpus.ts";
import { chat } from "./_harness/registered_alice.ts";
import { registeredUsers } from "./_harness/registered_users.ts";
import { soak } from "./_harness/soak.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const SEED = 20261206;
const COUNT = soak ? 50_000 : 10_000;
const GROUP = "900001";
const GROUP_NAME = "Victim private group Q7";
/** What only the other user may read: never in an answer to the attacker. */
const VICTIMS_WORDS = [GROUP_NAME, "secret plans", "for the victim only"];

function conditionOf(stanza: XmlElement): string | undefined {
  return stanza.getChild("error")?.getChildElements().find((c) => c.name !== "text")?.name;
}

/** Whether `answers` (all replies with the entry's id) meet what the entry expects. */
function verdict(entry: CorpusEntry, answers: XmlElement[]): string | undefined {
  const isIq = typeof entry.stanza === "string" || entry.stanza.is("iq");
  if (isIq && answers.length !== 1) return `answered ${answers.length} times`;
  if (!isIq && answers.length > 1) return `bounced ${answers.length} times`;
  const answer = answers[0];
  if (!answer) return entry.expect && entry.expect.kind !== "any" ? "never bounced" : undefined;
  if (conditionOf(answer) === "internal-server-error") return "internal-server-error";
  const expect = entry.expect ?? { kind: "any" };
  if (expect.kind === "result" && answer.attrs.type !== "result") {
    return `${conditionOf(answer)} instead of a result`;
  }
  if (expect.kind === "error") {
    const condition = conditionOf(answer);
    if (answer.attrs.type !== "error" || !condition || !expect.conditions.includes(condition)) {
      return `${answer.attrs.type} ${condition ?? ""}, expected ${expect.conditions.join("|")}`;
    }
  }
  return undefined;
}

Deno.test({
  name: `a hostile corpus of ${COUNT} stanzas: each iq answered once, rightly; nobody else touched`,
  ...e2e,
  async fn() {
    await using t = await registeredUsers(2, {
      // The handlers are under test here, not the rate limit (it has tests of its own).
      config: { messages: { rate_limit: 0 }, log: { level: "info" } },
      world: (index) =>
        index === 2
          ? `[[account.group]]\nid = "${GROUP}"\nname = "${GROUP_NAME}"\n` +
            `members = ["200002"]\n`
          : "",
    });
    const { gw, echo, bob, gateway } = t;
    const [mallory, victim] = t.users;
    const room = `${GROUP}@${gw}`;

    // The victim's state: Bob writes in her group and to her.
    const [inGroup] = await victim.control.inject({
      type: "message",
      sender: "200002",
      thread: GROUP,
      text: "secret plans",
    });
    const [direct] = await victim.control.inject({
      type: "message",
      sender: "200002",
      text: "for the victim only",
    });
    await victim.client.waitFor(
      (s) => s.is("message") && s.getChildText("body") === "for the victim only",
      15_000,
      "Bob's message to the victim",
    );
    let archiveBefore: string[] = [];
    for (let tries = 0; archiveBefore.length === 0 && tries < 50; tries++) {
      archiveBefore = await roomArchive(victim.client, room);
      if (archiveBefore.length === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(archiveBefore.length, 1, "the victim's room archive");
    const victimOps = (await victim.control.operations()).length;
    victim.client.clearPending();
    mallory.client.clearPending();

    const corpus = hostileCorpus(SEED, COUNT, {
      gw,
      contacts: [echo, bob],
      othersRoom: room,
      othersMessageIds: [inGroup.id!, direct.id!],
    });
    const tracked = new Map(corpus.filter((e) => e.id).map((e) => [e.id!, e]));
    const answers = new Map<string, XmlElement[]>();
    const started = performance.now();
    const writes = corpus.map((entry) =>
      typeof entry.stanza === "string"
        ? mallory.client.sendRaw(entry.stanza)
        : mallory.client.send(entry.stanza)
    );
    await Promise.all(writes);
    const collect = () => {
      for (const stanza of mallory.client.pending()) {
        const id = stanza.attrs.id;
        const isAnswer = stanza.is("iq")
          ? stanza.attrs.type === "result" || stanza.attrs.type === "error"
          : stanza.is("message") && stanza.attrs.type === "error";
        if (id && isAnswer && tracked.has(id)) answers.set(id, [...answers.get(id) ?? [], stanza]);
      }
      mallory.client.clearPending();
    };
    const mustAnswer = [...tracked.values()].filter((entry) =>
      typeof entry.stanza === "string" || entry.stanza.is("iq") ||
      (entry.expect !== undefined && entry.expect.kind !== "any")
    );
    const deadline = Date.now() + (soak ? 300_000 : 90_000);
    while (Date.now() < deadline) {
      collect();
      if (mustAnswer.every((entry) => answers.has(entry.id!))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const seconds = (performance.now() - started) / 1000;
    // Later answers (twice to one id) would come right behind: a round trip through the gateway
    // and a moment for them.
    const pong = await mallory.client.iq(
      xml("iq", { type: "get", to: gw }, xml("ping", { xmlns: "urn:xmpp:ping" })),
    );
    assert.equal(pong.attrs.type, "result");
    await new Promise((resolve) => setTimeout(resolve, 1000));
    collect();

    const wrong = new Map<string, string[]>();
    let iqs = 0, messages = 0, presences = 0, largest = 0;
    for (const entry of corpus) {
      const isIq = typeof entry.stanza === "string" || entry.stanza.is("iq");
      if (isIq) iqs++;
      else if (typeof entry.stanza !== "string" && entry.stanza.is("message")) messages++;
      else presences++;
      const replies = entry.id ? answers.get(entry.id) ?? [] : [];
      for (const reply of replies) largest = Math.max(largest, reply.toString().length);
      const leaked = replies.find((reply) =>
        VICTIMS_WORDS.some((words) => reply.toString().includes(words))
      );
      const problem = leaked ? `the other user's words in ${leaked}` : verdict(entry, replies);
      if (problem) {
        wrong.set(entry.category, [...wrong.get(entry.category) ?? [], `${entry.id}: ${problem}`]);
      }
    }
    const answeredOnce = [...tracked.values()].filter((entry) =>
      (typeof entry.stanza === "string" || entry.stanza.is("iq")) &&
      answers.get(entry.id!)?.length === 1
    ).length;
    const onlines = gateway.lines().filter((line) =>
      /Component online/.test(line)
    ).length;
    const crashes = gateway.lines().filter((line) =>
      /Uncaught|unhandled rejection|panicked/i.test(line)
    );
    const victimSaw = victim.client.pending().filter((s) => !s.is("presence"));
    const victimOpsAfter = (await victim.control.operations()).length;
    const archiveAfter = await roomArchive(victim.client, room);
    const wrongCount = [...wrong.values()].reduce((sum, list) => sum + list.length, 0);
    console.log(
      `hostile corpus: ${corpus.length} stanzas (${iqs} iqs, ${messages} messages, ${presences} ` +
        `presences) in ${seconds.toFixed(1)} s; iqs answered exactly once ${answeredOnce} of ` +
        `${iqs}; wrong or missing answers ${wrongCount}; largest answer ${largest} bytes; ` +
        `crashes ${crashes.length}; disconnections ${onlines - 1}; the other user: stanzas seen ` +
        `${victimSaw.length}, Messenger operations ${victimOpsAfter - victimOps}, archive ` +
        `${archiveAfter.length === archiveBefore.length ? "unchanged" : "changed"}`,
    );
    assert.deepEqual(
      Object.fromEntries([...wrong].map(([category, list]) => [category, list.slice(0, 5)])),
      {},
      "wrong answers, by category (first five each)",
    );
    assert.equal(answeredOnce, iqs);
    assert.ok(largest < 8 * 1024, `an answer of ${largest} bytes`);
    assert.deepEqual(crashes, []);
    assert.equal(onlines, 1, "the component reconnected");
    assert.deepEqual(mallory.client.errors.map(String), []);
    assert.deepEqual(victimSaw.map((s) => s.toString().slice(0, 300)), []);
    assert.equal(victimOpsAfter, victimOps, "the victim's Messenger account was acted on");
    assert.deepEqual(archiveAfter, archiveBefore);

    // Both users still bridged, both ways.
    for (const user of [mallory, victim]) {
      await user.client.send(chat(echo, `after-${user.index}`, `still there, u${user.index}?`));
      await user.client.waitFor(
        (s) => s.is("message") && s.getChildText("body") === `still there, u${user.index}?`,
        20_000,
        `Echo Bot's answer to u${user.index}`,
      );
    }
  },
});
