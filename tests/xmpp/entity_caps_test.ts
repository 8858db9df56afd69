import assert from "node:assert/strict";
import { contactInfo, registerContactDisco } from "../../src/xmpp/contact_disco.ts";
import {
  CAPS_NODE,
  capsElement,
  capsVerification,
  isCapsNode,
} from "../../src/xmpp/entity_caps.ts";
import { gatewayInfo, registerServiceDiscovery } from "../../src/xmpp/service_discovery.ts";
import { errorCondition, parse, recordingRouter } from "./_stanzas.ts";

Deno.test("the verification string of XEP-0115's simple example (§5.2)", () => {
  const query = parse(`<query xmlns="http://jabber.org/protocol/disco#info">
    <identity category="client" name="Exodus 0.9.1" type="pc"/>
    <feature var="http://jabber.org/protocol/caps"/>
    <feature var="http://jabber.org/protocol/disco#info"/>
    <feature var="http://jabber.org/protocol/disco#items"/>
    <feature var="http://jabber.org/protocol/muc"/>
  </query>`);
  assert.equal(capsVerification(query), "QgayPKawpkPSDYmwT/WM94uAlu0=");
});

Deno.test("the verification string of XEP-0115's complex example, with a form (§5.3)", () => {
  const query = parse(`<query xmlns="http://jabber.org/protocol/disco#info">
    <identity xml:lang="en" category="client" name="Psi 0.11" type="pc"/>
    <identity xml:lang="el" category="client" name="Ψ 0.11" type="pc"/>
    <feature var="http://jabber.org/protocol/disco#items"/>
    <feature var="http://jabber.org/protocol/caps"/>
    <feature var="http://jabber.org/protocol/disco#info"/>
    <feature var="http://jabber.org/protocol/muc"/>
    <x xmlns="jabber:x:data" type="result">
      <field var="FORM_TYPE" type="hidden"><value>urn:xmpp:dataforms:softwareinfo</value></field>
      <field var="ip_version"><value>ipv4</value><value>ipv6</value></field>
      <field var="os"><value>Mac</value></field>
      <field var="os_version"><value>10.5.1</value></field>
      <field var="software"><value>Psi</value></field>
      <field var="software_version"><value>0.11</value></field>
    </x>
  </query>`);
  assert.equal(capsVerification(query), "q07IKJEyjvHSyhy//CH0CxmKi8w=");
});

Deno.test("contacts and the gateway answer disco#info on their caps node, and only that node", async () => {
  const { router, sent } = recordingRouter({ isRegistered: () => true });
  registerContactDisco(router);
  registerServiceDiscovery(router, { name: "Facebook Messenger" });
  const contactVer = capsVerification(contactInfo(router));
  const gatewayVer = capsVerification(gatewayInfo(router, "Facebook Messenger"));
  assert.notEqual(contactVer, gatewayVer);
  assert.ok(isCapsNode(capsElement(contactVer).attrs.node + "#" + contactVer, contactVer));

  const ask = async (to: string, node: string) => {
    sent.length = 0;
    await router.handle(parse(
      `<iq type="get" id="q" from="alice@example.org/pc" to="${to}">` +
        `<query xmlns="http://jabber.org/protocol/disco#info" node="${node}"/></iq>`,
    ));
    assert.equal(sent.length, 1);
    return sent[0];
  };
  for (
    const [to, ver] of [
      ["100001@facebook.example.org", contactVer],
      ["facebook.example.org", gatewayVer],
    ]
  ) {
    const reply = await ask(to, `${CAPS_NODE}#${ver}`);
    assert.equal(reply.attrs.type, "result", reply.toString());
    const query = reply.getChild("query", "http://jabber.org/protocol/disco#info")!;
    assert.equal(query.attrs.node, `${CAPS_NODE}#${ver}`);
    // What the client hashes is what the presence announced.
    assert.equal(capsVerification(query), ver);
    const stale = await ask(to, `${CAPS_NODE}#AAAAAAAAAAAAAAAAAAAAAAAAAAA=`);
    assert.equal(errorCondition(stale), "item-not-found", stale.toString());
  }
});
