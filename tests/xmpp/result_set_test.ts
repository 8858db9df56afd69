import assert from "node:assert/strict";
import { parseResultSet, resultSetElement } from "../../src/xmpp/result_set.ts";
import { StanzaError } from "../../src/xmpp/stanza_error.ts";
import { assertXml } from "./_canonical_xml.ts";
import { parse } from "./_stanzas.ts";

const RSM = "http://jabber.org/protocol/rsm";

function set(inner: string) {
  return parse(`<set xmlns="${RSM}">${inner}</set>`);
}

Deno.test("no <set/> asks for nothing in particular", () => {
  assert.deepEqual(parseResultSet(undefined), {});
  assert.deepEqual(parseResultSet(set("")), {});
});

Deno.test("max, after and before are read; an empty before asks for the last page", () => {
  assert.deepEqual(parseResultSet(set("<max> 10 </max><after>a1</after>")), {
    max: 10,
    after: "a1",
  });
  assert.deepEqual(parseResultSet(set("<max>0</max><before/>")), { max: 0, before: "" });
  assert.deepEqual(parseResultSet(set("<before>b2</before>")), { before: "b2" });
  assert.deepEqual(parseResultSet(set("<after>a</after><before>b</before>")), {
    after: "a",
    before: "b",
  });
});

Deno.test("malformed requests are bad-request, index is feature-not-implemented", () => {
  const refused = (inner: string, condition: string) =>
    assert.throws(() => parseResultSet(set(inner)), (error) => {
      assert.ok(error instanceof StanzaError);
      assert.equal(error.condition, condition, `${inner}: ${error.message}`);
      return true;
    });
  refused("<max>ten</max>", "bad-request");
  refused("<max>-5</max>", "bad-request");
  refused("<max>1.5</max>", "bad-request");
  refused("<max>9999999999</max>", "bad-request");
  refused("<max/>", "bad-request");
  refused("<after/>", "bad-request");
  refused("<after>a</after><after>b</after>", "bad-request");
  refused("<index>0</index>", "feature-not-implemented");
});

Deno.test("a page is described by first (with index), last and count, as far as known", () => {
  assertXml(
    resultSetElement({ first: "a", firstIndex: 0, last: "z", count: 3 }),
    `<set xmlns="${RSM}"><first index="0">a</first><last>z</last><count>3</count></set>`,
  );
  assertXml(
    resultSetElement({ first: "a", last: "a" }),
    `<set xmlns="${RSM}"><first>a</first><last>a</last></set>`,
  );
  assertXml(resultSetElement({ count: 0 }), `<set xmlns="${RSM}"><count>0</count></set>`);
});
