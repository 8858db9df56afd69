/**
 * XEP-0055 search and XEP-0100 contact addressing, stanza in → stanza out, over the real gateway
 * core (in-memory KV, simulated Messenger).
 */
import assert from "node:assert/strict";
import { contactJidFor, findUsers } from "../../src/gateway/commands/find.ts";
import { NS_GATEWAY, registerContactAddressing } from "../../src/xmpp/contact_addressing.ts";
import { NS_SEARCH, registerUserSearch } from "../../src/xmpp/user_search.ts";
import type { Element } from "../../src/xmpp/xml.ts";
import { ALICE, BOB, DOMAIN, gatewayFixture } from "../gateway/commands/_fixture.ts";
import { errorCondition, errorText, parse, recordingRouter } from "./_stanzas.ts";

async function search() {
  const f = await gatewayFixture();
  const { router, sent } = recordingRouter();
  registerUserSearch(router, {
    isRegistered: (jid) => f.gateway.isRegistered(jid),
    search: (jid, query) => findUsers(f.ctx, jid, query),
  });
  registerContactAddressing(router, {
    resolve: (jid, prompt) => contactJidFor(f.ctx, jid, prompt),
  });
  let nextId = 0;
  async function iq(from: string, type: "get" | "set", xml: string): Promise<Element> {
    sent.length = 0;
    const id = `s${++nextId}`;
    await router.handle(
      parse(`<iq type="${type}" id="${id}" from="${from}/pc" to="${DOMAIN}">${xml}</iq>`),
    );
    assert.equal(sent.length, 1, "exactly one reply");
    return sent[0];
  }
  return { f, router, iq, [Symbol.asyncDispose]: () => f[Symbol.asyncDispose]() };
}

const searchQuery = (inner = "") => `<query xmlns="${NS_SEARCH}">${inner}</query>`;
const gatewayQuery = (inner = "") => `<query xmlns="${NS_GATEWAY}">${inner}</query>`;

Deno.test("search and gateway addressing are advertised", async () => {
  await using s = await search();
  const features = s.router.features("gateway");
  assert.ok(features.includes(NS_SEARCH) && features.includes(NS_GATEWAY), features.join());
});

Deno.test("search is for registered users: registration-required otherwise", async () => {
  await using s = await search();
  for (const type of ["get", "set"] as const) {
    const reply = await s.iq(BOB, type, searchQuery("<nick>echo</nick>"));
    assert.equal(errorCondition(reply), "registration-required", reply.toString());
    assert.match(errorText(reply) ?? "", /Register with this gateway first/);
  }
});

Deno.test("search get answers instructions, <nick/> and a form with a name field", async () => {
  await using s = await search();
  await s.f.registerUser(ALICE, "alice");
  const query = (await s.iq(ALICE, "get", searchQuery())).getChild("query", NS_SEARCH)!;
  assert.match(query.getChildText("instructions") ?? "", /Find people on Messenger/);
  assert.ok(query.getChild("nick"));
  const x = query.getChild("x", "jabber:x:data")!;
  assert.deepEqual(
    x.getChildren("field").map((field) => [field.attrs.var, field.attrs.type]),
    [["FORM_TYPE", "hidden"], ["name", "text-single"]],
  );
});

Deno.test("search set with the form answers a result form with jid and name", async () => {
  await using s = await search();
  await s.f.registerUser(ALICE, "alice");
  const reply = await s.iq(
    ALICE,
    "set",
    searchQuery(
      `<x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE"><value>${NS_SEARCH}</value>` +
        `</field><field var="name"><value>danger</value></field></x>`,
    ),
  );
  assert.equal(reply.attrs.type, "result", reply.toString());
  const x = reply.getChild("query", NS_SEARCH)!.getChild("x", "jabber:x:data")!;
  assert.equal(x.attrs.type, "result");
  assert.deepEqual(
    x.getChild("reported")!.getChildren("field").map((field) => field.attrs.var),
    ["jid", "name"],
  );
  const items = x.getChildren("item").map((item) =>
    Object.fromEntries(
      item.getChildren("field").map((field) => [field.attrs.var, field.getChildText("value")]),
    )
  );
  assert.deepEqual(items, [{ jid: `300001@${DOMAIN}`, name: "Stranger Danger" }]);
});

Deno.test("search set with legacy <nick/> answers legacy items; an empty query is a bad-request", async () => {
  await using s = await search();
  await s.f.registerUser(ALICE, "alice");
  const reply = await s.iq(ALICE, "set", searchQuery("<nick>echo</nick>"));
  const items = reply.getChild("query", NS_SEARCH)!.getChildren("item");
  assert.deepEqual(
    items.map((item) => [item.attrs.jid, item.getChildText("nick")]),
    [[`200001@${DOMAIN}`, "Echo Bot"]],
  );
  const empty = await s.iq(ALICE, "set", searchQuery("<nick> </nick>"));
  assert.equal(errorCondition(empty), "bad-request");
});

Deno.test("a Messenger failure during search is a wait error with a sentence", async () => {
  await using s = await search();
  await s.f.registerUser(ALICE, "alice");
  s.f.network.control.addFaults("100001", { kind: "fail", method: "searchUsers", code: "network" });
  const reply = await s.iq(ALICE, "set", searchQuery("<nick>echo</nick>"));
  assert.equal(errorCondition(reply), "service-unavailable");
  assert.equal(reply.getChild("error")?.attrs.type, "wait");
  assert.equal(errorText(reply), "Messenger cannot be reached right now");
});

Deno.test("jabber:iq:gateway: prompt → contact JID by id (anyone) or by name (registered)", async () => {
  await using s = await search();
  const get = (await s.iq(BOB, "get", gatewayQuery())).getChild("query", NS_GATEWAY)!;
  assert.match(get.getChildText("desc") ?? "", /name or the numeric Messenger id/);
  assert.equal(get.getChildText("prompt"), "Name or Messenger id");

  const byId = await s.iq(BOB, "set", gatewayQuery("<prompt>200001</prompt>"));
  assert.equal(byId.getChild("query", NS_GATEWAY)?.getChildText("jid"), `200001@${DOMAIN}`);
  const byNameUnregistered = await s.iq(BOB, "set", gatewayQuery("<prompt>Echo Bot</prompt>"));
  assert.equal(errorCondition(byNameUnregistered), "registration-required");

  await s.f.registerUser(ALICE, "alice");
  const byName = await s.iq(ALICE, "set", gatewayQuery("<prompt>echo bot</prompt>"));
  assert.equal(byName.getChild("query", NS_GATEWAY)?.getChildText("jid"), `200001@${DOMAIN}`);
  const nobody = await s.iq(ALICE, "set", gatewayQuery("<prompt>Nobody Atall</prompt>"));
  assert.equal(errorCondition(nobody), "item-not-found");
  assert.equal(errorText(nobody), "Nobody on Messenger matches 'Nobody Atall'");
  const empty = await s.iq(ALICE, "set", gatewayQuery("<prompt/>"));
  assert.equal(errorCondition(empty), "bad-request");
});
