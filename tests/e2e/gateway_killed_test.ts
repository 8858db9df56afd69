/**
 * The gateway killed with SIGKILL mid-traffic and started again (issue 12's suite), on the REAL
 * Messenger adapter (fca in its Worker) against the loopback fake of Facebook, which lives in the
 * test process and so outlives the gateway: what Bob writes while the gateway is down is still
 * on "Facebook" when it comes back.
 *
 * Before the kill Bob and Alice chat and Bob writes in a group; then both keep writing while the
 * gateway is killed, and Bob (and Alice, refused by her server) while it is down. After the
 * restart: Alice is still registered and logged in from the stored cookies, without a new
 * registration; every message of Bob's reaches her, in order, none twice — those that arrived
 * while the gateway was down found by the content watchdog, whose window starts where the last
 * run's ended; a reaction to a message from before the kill still maps to its Messenger id; the
 * group's archive (MAM) is what it was.
 */
import assert from "node:assert/strict";
import { FakeFacebook } from "../messenger/fca/_fake_edge/fake_facebook.ts";
import { connectClient, xml, type XmlElement } from "./_harness/client.ts";
import { startFcaGateway } from "./_harness/fca_gateway.ts";
import type { GatewayProcess } from "./_harness/gateway.ts";
import { gatewayStatus, roomArchive } from "./_harness/gateway_client.ts";
import { startProsody } from "./_harness/prosody.ts";
import { seededUsersKv } from "./_harness/seeded_user.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const SELF = "100001";
const BOB = "100002";
const GROUP = "900001";
const NS_REACTIONS = "urn:xmpp:reactions:0";
const NS_RECEIPTS = "urn:xmpp:receipts";
/** Messages of each phase (the watchdog fetches 20 per conversation: what is missed stays below). */
const BEFORE = 10;
const DURING = 10;
const KILL_AT = 5;
const DOWN = 8;
const WATCHDOG_THREADS = 5;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function eventually<T>(what: string, value: () => T | undefined, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = value();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

Deno.test({
  name: "the gateway killed with SIGKILL mid-traffic and restarted: nothing lost, maps intact",
  ...e2e,
  async fn() {
    await using server = await startProsody();
    await server.register("alice", "alicepw");
    const fake = new FakeFacebook();
    await fake.start();
    const cookies = fake.addAccount({ id: SELF, xs: "xs-100001-killed-Pz8Qm2" });
    await using kv = await seededUsersKv([
      { jid: "alice@localhost", cookies },
    ]);
    let gateway: GatewayProcess | undefined;
    try {
      const config = {
        gateway: { data: kv.path },
        messenger: { watchdog_interval: 2, watchdog_threads: WATCHDOG_THREADS },
      };
      await using alice = await connectClient(server, "alice", "alicepw");
      const gw = server.componentDomain;
      const bob = `${BOB}@${gw}`;
      const room = `${GROUP}@${gw}`;
      // The content watchdog's checks: thread lists of watchdog_threads (the login's sync asks
      // for groups.sync_limit); two requests (inbox and pending) per check.
      const contentChecks = () =>
        fake.requestsTo("/api/graphqlbatch/").filter((r) =>
          r.form.batch_name === "MessengerGraphQLThreadlistFetcher" &&
          r.form.queries?.includes(`"limit":${WATCHDOG_THREADS},`) &&
          r.form.queries.includes('"INBOX"')
        ).length;
      gateway = await startFcaGateway(server, fake, { config });
      await gatewayStatus(alice, gw, /^Connected as/, 40_000);
      const loginsBefore = fake.homePageLogins.get(SELF) ?? 0;
      // The gateway has been running a while: its content watchdog checked on fca (and stored
      // how far: the second check starts after the first one's mark was written).
      await eventually("a first content check", () => contentChecks() >= 2 || undefined);

      // What Bob writes (in order), and what Alice writes with their outcome.
      const fromBob: string[] = [];
      const bobWrites = (text: string, thread = BOB) => {
        if (thread === BOB) fromBob.push(text);
        return fake.deliverMessage(SELF, {
          thread,
          isGroup: thread === GROUP,
          sender: BOB,
          text,
          at: Date.now(),
        });
      };
      const fromAlice: string[] = [];
      const aliceWrites = async (text: string) => {
        fromAlice.push(text);
        await alice.send(
          xml(
            "message",
            { type: "chat", to: bob, id: `a-${fromAlice.length}` },
            xml("body", {}, text),
            xml("request", { xmlns: NS_RECEIPTS }),
          ),
        );
      };
      const bobReceived: XmlElement[] = [];
      const collect = () => {
        for (const s of alice.pending()) {
          if (
            s.is("message") && s.attrs.from?.split("/")[0] === bob && s.getChild("body") &&
            s.attrs.type !== "error" && !bobReceived.includes(s)
          ) bobReceived.push(s);
        }
      };

      // Before: a chat both ways, and a group conversation.
      const first = bobWrites("before 1");
      for (let i = 2; i <= BEFORE; i++) bobWrites(`before ${i}`);
      for (let i = 1; i <= 3; i++) bobWrites(`group ${i}`, GROUP);
      for (let i = 1; i <= BEFORE; i++) await aliceWrites(`alice ${i}`);
      await eventually("Alice's receipts", () => {
        const receipts = alice.pending().filter((s) => s.getChild("received", NS_RECEIPTS));
        return receipts.length >= BEFORE ? true : undefined;
      });
      const react = async (id: string, emoji: string) => {
        const count = fake.requestsTo("/webgraphql/mutation/").length;
        await alice.send(
          xml(
            "message",
            { type: "chat", to: bob, id: `r-${crypto.randomUUID()}` },
            xml("reactions", { xmlns: NS_REACTIONS, id }, xml("reaction", {}, emoji)),
          ),
        );
        const mutation = await eventually(
          `the reaction to ${id}`,
          () => fake.requestsTo("/webgraphql/mutation/")[count],
        );
        return JSON.parse(mutation.form.variables ?? "{}").data?.message_id as string;
      };
      const ownIdBefore = await react("a-1", "👍");
      assert.match(ownIdBefore, /^mid\./);
      let archived = await roomArchive(alice, room);
      for (let tries = 0; archived.length < 3 && tries < 100; tries++) {
        await sleep(100);
        archived = await roomArchive(alice, room);
      }
      assert.equal(archived.length, 3, archived.join("\n"));

      // Mid-traffic: both keep writing; the gateway is killed half-way.
      let killed: Promise<number> | undefined;
      for (let i = 1; i <= DURING; i++) {
        bobWrites(`during ${i}`);
        await aliceWrites(`alice during ${i}`);
        if (i === KILL_AT) killed = gateway.stop("SIGKILL");
        await sleep(50);
      }
      await killed;
      // While it is down: Bob writes on Messenger; Alice's server refuses her messages.
      for (let i = 1; i <= DOWN; i++) {
        bobWrites(`down ${i}`);
        await aliceWrites(`alice down ${i}`);
        await sleep(20);
      }
      await gateway[Symbol.asyncDispose]();

      gateway = await startFcaGateway(server, fake, { config });
      await gatewayStatus(alice, gw, /^Connected as/, 40_000);
      // Everything Bob wrote arrives (live, or found by the watchdog), then a live one after.
      const missing = () => {
        collect();
        const texts = new Set(bobReceived.map((s) => s.getChildText("body")));
        return fromBob.filter((text) => !texts.has(text));
      };
      await eventually("every message of Bob's", () => missing().length === 0 || undefined, 30_000)
        .catch((error) => {
          throw new Error(
            `${error.message}; missing: ${missing().join(", ")}\n${gateway?.output().slice(-4000)}`,
          );
        });
      bobWrites("after 1");
      await eventually("Bob's message after the restart", () => {
        collect();
        return bobReceived.some((s) => s.getChildText("body") === "after 1") ? true : undefined;
      });
      // A check later (a positive signal for "nothing more comes"): its content check ran again.
      const checks = contentChecks();
      await eventually("a further content check", () => contentChecks() > checks || undefined);
      collect();

      // The maps: a reaction to Bob's first message and to Alice's first one, as before the kill.
      assert.equal(await react(first.id, "❤"), first.id);
      assert.equal(await react("a-1", "👍"), ownIdBefore);
      assert.deepEqual(await roomArchive(alice, room), archived, "the group's archive changed");
      assert.equal(fake.homePageLogins.get(SELF), loginsBefore + 1, "one cookie login, no more");

      // Bob's messages: each once, in order.
      const texts = bobReceived.map((s) => s.getChildText("body")!);
      const ids = bobReceived.map((s) => s.attrs.id);
      const byId = new Map(bobReceived.map((s) => [s.attrs.id, s.getChildText("body")!]));
      const distinct = new Set(byId.values());
      const wanted = fromBob;
      const lostFromBob = wanted.filter((text) => !distinct.has(text)).length;
      const duplicatedFromBob = byId.size - distinct.size;
      const order = [...byId.values()].map((text) => wanted.indexOf(text));
      // Alice's messages: reached Messenger, refused with an error, or held by the killed gateway.
      const sends = fake.requestsTo("/messaging/send/").map((r) => r.form.body ?? "");
      const delivered = new Set(sends.filter((body) => fromAlice.includes(body)));
      const errors = alice.pending().filter((s) =>
        s.is("message") && s.attrs.type === "error" && s.attrs.id?.startsWith("a-")
      );
      const refused = new Set(
        errors.map((s) => fromAlice[Number(s.attrs.id!.slice(2)) - 1]).filter((text) =>
          !delivered.has(text)
        ),
      );
      const receipted = new Set(
        alice.pending().flatMap((s) => {
          const id = s.getChild("received", NS_RECEIPTS)?.attrs.id;
          return id?.startsWith("a-") ? [fromAlice[Number(id.slice(2)) - 1]] : [];
        }),
      );
      const confirmedButLost = [...receipted].filter((text) => !delivered.has(text)).length;
      const unconfirmed = fromAlice.filter((text) =>
        !delivered.has(text) && !refused.has(text)
      ).length;
      console.log(
        `gateway killed mid-traffic: Bob to Alice: sent ${wanted.length}, delivered ` +
          `${distinct.size}, lost ${lostFromBob}, duplicated ${duplicatedFromBob} (copies under ` +
          `one id: ${ids.length - byId.size}); Alice to Bob: sent ${fromAlice.length}, delivered ` +
          `${delivered.size}, refused with an error ${refused.size}, held by the killed gateway ` +
          `(no receipt, no error) ${unconfirmed}, lost ${confirmedButLost}, duplicated ` +
          `${sends.length - new Set(sends).size}; the group archive ${archived.length} ` +
          `messages, the same after the restart`,
      );
      assert.equal(lostFromBob, 0, `Bob's messages lost: ${texts.join(", ")}`);
      assert.equal(duplicatedFromBob, 0, texts.join(", "));
      assert.deepEqual(order, order.toSorted((a, b) => a - b), "Bob's messages out of order");
      assert.equal(confirmedButLost, 0, "a message confirmed by a receipt never reached Messenger");
      assert.equal(sends.length, new Set(sends).size, "a message of Alice's sent twice");
      assert.ok(refused.size >= DOWN, "Alice's messages while the gateway was down were refused");
      // What the gateway (or the server's socket to it) held at the kill: the last message or
      // two before it (one every 50 ms); more would mean messages pile up unsent.
      assert.ok(unconfirmed <= 3, `${unconfirmed} messages held when the gateway was killed`);
    } finally {
      await gateway?.[Symbol.asyncDispose]();
      await fake.close();
    }
  },
});
