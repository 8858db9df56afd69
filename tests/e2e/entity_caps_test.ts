/**
 * XEP-0115 end to end: the presences a real client receives through Prosody carry caps, and the
 * disco#info behind each caps node hashes to the announced `ver` — what clients such as
 * Conversations check before they show reactions, replies or the gateway's commands.
 */
import assert from "node:assert/strict";
import { connectClient, xml, type XmlElement } from "./_harness/client.ts";
import { registeredAlice } from "./_harness/registered_alice.ts";
import { capsVerification } from "../../src/xmpp/entity_caps.ts";
import type { Element } from "../../src/xmpp/xml.ts";

const e2e = { sanitizeOps: false, sanitizeResources: false };
const NS_CAPS = "http://jabber.org/protocol/caps";
const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";

Deno.test({
  name: "contact and gateway presences carry caps whose disco#info matches their hash",
  ...e2e,
  async fn() {
    await using t = await registeredAlice();
    const { gw, bob } = t;
    // A client that comes online now: the presences it hears are the ones clients check caps on
    // (the first client's gateway presence was taken by the setup).
    await using alice = await connectClient(t.server, "alice", "alicepw", { resource: "phone" });
    const withCaps = (from: string) => (s: XmlElement) =>
      s.is("presence") && s.attrs.from?.split("/")[0] === from && s.attrs.type === undefined &&
      s.getChild("c", NS_CAPS) !== undefined;

    const features = new Map<string, string[]>();
    for (const from of [bob, gw]) {
      const presence = await alice.waitFor(
        withCaps(from),
        10_000,
        `a presence of ${from} with caps`,
      );
      const caps = presence.getChild("c", NS_CAPS)!;
      assert.equal(caps.attrs.hash, "sha-1");
      const node = `${caps.attrs.node}#${caps.attrs.ver}`;
      const reply = await alice.iq(
        xml(
          "iq",
          { type: "get", to: presence.attrs.from },
          xml("query", { xmlns: NS_DISCO_INFO, node }),
        ),
      );
      assert.equal(reply.attrs.type, "result", reply.toString());
      const query = reply.getChild("query", NS_DISCO_INFO)!;
      assert.equal(query.attrs.node, node);
      assert.equal(capsVerification(query as unknown as Element), caps.attrs.ver);
      features.set(from, query.getChildren("feature").map((f) => f.attrs.var!));
    }
    const contact = features.get(bob)!;
    for (const feature of ["urn:xmpp:reactions:0", "urn:xmpp:receipts", "urn:xmpp:reply:0"]) {
      assert.ok(contact.includes(feature), `${feature} missing from ${contact.join(" ")}`);
    }
    assert.ok(
      !contact.includes("urn:xmpp:message-correct:0"),
      "corrections must not be advertised",
    );
    assert.ok(features.get(gw)!.includes("http://jabber.org/protocol/commands"));
  },
});
