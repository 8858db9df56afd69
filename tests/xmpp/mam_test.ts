import assert from "node:assert/strict";
import { join } from "node:path";
import { asMessageId, asThreadId, asUserId } from "../../src/messenger/ids.ts";
import { RoomArchives, UnknownArchiveIdError } from "../../src/store/room_archive.ts";
import { WriteBatcher } from "../../src/store/write_batcher.ts";
import {
  DEFAULT_MAM_PAGE,
  MAM_FEATURES,
  mamError,
  mamFin,
  mamMetadata,
  mamQueryForm,
  mamResultMessage,
  MAX_MAM_IDS,
  MAX_MAM_PAGE,
  parseMamQuery,
} from "../../src/xmpp/mam.ts";
import { StanzaError } from "../../src/xmpp/stanza_error.ts";
import { type Element, parseXml, xml } from "../../src/xmpp/xml.ts";
import { assertXml } from "./_canonical_xml.ts";
import { errorCondition, errorText, parse, recordingRouter } from "./_stanzas.ts";

const MAM = "urn:xmpp:mam:2";
const USER = "alice@example.org/phone";
const ROOM = "900001@facebook.example.org";

/** A `<query>` with an optional form (its fields as XML) and extra children. */
function query(
  options: { fields?: string; formType?: string | null; extra?: string; attrs?: string } = {},
): Element {
  const formType = options.formType === undefined ? MAM : options.formType;
  const form = options.fields === undefined && options.formType === undefined
    ? ""
    : `<x xmlns="jabber:x:data" type="submit">${
      formType === null
        ? ""
        : `<field var="FORM_TYPE" type="hidden"><value>${formType}</value></field>`
    }${options.fields ?? ""}</x>`;
  return parse(
    `<query xmlns="${MAM}" ${options.attrs ?? ""}>${form}${options.extra ?? ""}</query>`,
  );
}

function field(name: string, ...values: string[]): string {
  return `<field var="${name}">${values.map((v) => `<value>${v}</value>`).join("")}</field>`;
}

/** Asserts that parsing throws a StanzaError with this condition (and text matching `text`). */
function assertRefused(element: Element, condition: string, text?: RegExp): void {
  assert.throws(() => parseMamQuery(element), (error) => {
    assert.ok(error instanceof StanzaError, String(error));
    assert.equal(error.condition, condition, error.message);
    if (text) assert.match(error.text ?? "", text);
    return true;
  });
}

Deno.test("a bare query asks for the default page of everything", () => {
  assert.deepEqual(parseMamQuery(query({ attrs: `queryid="f27"` })), {
    queryId: "f27",
    max: DEFAULT_MAM_PAGE,
    flip: false,
  });
  assert.deepEqual(parseMamQuery(query()), { max: DEFAULT_MAM_PAGE, flip: false });
});

Deno.test("every filter, RSM paging and flip-page are read into the query", () => {
  const parsed = parseMamQuery(query({
    attrs: `queryid="q1"`,
    fields: field("with", `${ROOM}/Bob Smith`) +
      field("start", "2026-01-10T12:00:00Z") +
      field("end", "2026-01-10T14:30:00.250+02:00") +
      field("after-id", "mid.$a") +
      field("before-id", "mid.$z") +
      field("ids", "mid.$b", "mid.$c"),
    extra: `<set xmlns="http://jabber.org/protocol/rsm"><max>10</max><after>mid.$x</after></set>` +
      `<flip-page/>`,
  }));
  assert.deepEqual(parsed, {
    queryId: "q1",
    with: `${ROOM}/Bob Smith`,
    start: Date.UTC(2026, 0, 10, 12, 0, 0),
    end: Date.UTC(2026, 0, 10, 12, 30, 0, 250),
    afterId: "mid.$a",
    beforeId: "mid.$z",
    ids: ["mid.$b", "mid.$c"],
    max: 10,
    after: "mid.$x",
    flip: true,
  });
});

Deno.test("an empty <before/> asks for the last page; a named one for the page before it", () => {
  const rsm = (inner: string) =>
    query({ extra: `<set xmlns="http://jabber.org/protocol/rsm">${inner}</set>` });
  assert.equal(parseMamQuery(rsm("<max>5</max><before/>")).before, "");
  assert.equal(parseMamQuery(rsm("<before>mid.$q</before>")).before, "mid.$q");
  assert.equal(parseMamQuery(rsm("<max>0</max>")).max, 0);
});

Deno.test("the page size is limited to the server's maximum, and the limits can be set", () => {
  const rsm = (max: string) =>
    query({ extra: `<set xmlns="http://jabber.org/protocol/rsm"><max>${max}</max></set>` });
  assert.equal(parseMamQuery(rsm("100000")).max, MAX_MAM_PAGE);
  assert.equal(parseMamQuery(rsm("100000"), { maxMax: 20 }).max, 20);
  assert.equal(parseMamQuery(query(), { defaultMax: 7 }).max, 7);
});

Deno.test("fields without a value, or with an empty one, filter nothing", () => {
  assert.deepEqual(
    parseMamQuery(query({ fields: `<field var="with"/>` + field("start", "") + field("ids") })),
    { max: DEFAULT_MAM_PAGE, flip: false },
  );
});

Deno.test("a malformed form is a bad-request naming the problem", () => {
  assertRefused(query({ formType: "urn:xmpp:mam:1" }), "bad-request", /FORM_TYPE must be/);
  assertRefused(
    query({ formType: null, fields: field("start", "2026-01-10T12:00:00Z") }),
    "bad-request",
    /needs a FORM_TYPE/,
  );
  assertRefused(
    parse(`<query xmlns="${MAM}"><x xmlns="jabber:x:data" type="form"/></query>`),
    "bad-request",
    /type 'submit'/,
  );
  assertRefused(
    query({
      fields: field("start", "2026-01-10T12:00:00Z") + field("start", "2026-01-11T12:00:00Z"),
    }),
    "bad-request",
    /twice/,
  );
  assertRefused(
    query({ fields: field("start", "2026-01-10T12:00:00Z", "2026-01-11T12:00:00Z") }),
    "bad-request",
    /one value, not 2/,
  );
  assertRefused(query({ fields: `<field><value>x</value></field>` }), "bad-request", /no name/);
  assertRefused(query({ fields: field("with", "not a jid@") }), "bad-request", /'with'/);
  assertRefused(
    parse(
      `<query xmlns="${MAM}"><x xmlns="jabber:x:data" type="submit"/><x xmlns="jabber:x:data" type="submit"/></query>`,
    ),
    "bad-request",
    /more than one form/,
  );
  assertRefused(query({ attrs: `queryid="${"q".repeat(300)}"` }), "bad-request", /queryid/);
  assertRefused(parse(`<query xmlns="urn:xmpp:mam:1"/>`), "bad-request");
});

Deno.test("dates that are not XEP-0082 DateTimes are a bad-request quoting them", () => {
  for (const bad of ["yesterday", "2026-01-10", "2026-02-30T12:00:00Z", "2026-01-10T25:00:00Z"]) {
    assertRefused(
      query({ fields: field("start", bad) }),
      "bad-request",
      /'start' is not a XEP-0082/,
    );
  }
  assertRefused(
    query({ fields: field("end", "2026-01-10 12:00") }),
    "bad-request",
    /'2026-01-10 12:00'/,
  );
});

Deno.test("an unknown field is feature-not-implemented, as XEP-0313 requires", () => {
  assertRefused(
    query({ fields: field("include-groupchat", "true") }),
    "feature-not-implemented",
    /include-groupchat/,
  );
  assertRefused(query({ fields: field("{urn:example}search", "x") }), "feature-not-implemented");
  assertRefused(
    query({ attrs: `node="urn:xmpp:mucsub:nodes:messages"` }),
    "feature-not-implemented",
  );
});

Deno.test("too many ids in one query is a policy-violation", () => {
  const many = Array.from({ length: MAX_MAM_IDS + 1 }, (_, i) => `id${i}`);
  assertRefused(query({ fields: field("ids", ...many) }), "policy-violation", /At most 250 ids/);
  assert.equal(
    parseMamQuery(query({ fields: field("ids", ...many.slice(1)) })).ids?.length,
    MAX_MAM_IDS,
  );
});

Deno.test("a malformed RSM set is refused; paging by index is not implemented", () => {
  const rsm = (inner: string) =>
    query({ extra: `<set xmlns="http://jabber.org/protocol/rsm">${inner}</set>` });
  assertRefused(rsm("<max>ten</max>"), "bad-request", /<max\/> must be a number/);
  assertRefused(rsm("<max>-1</max>"), "bad-request");
  assertRefused(rsm("<max>1</max><max>2</max>"), "bad-request", /more than one <max\/>/);
  assertRefused(rsm("<after/>"), "bad-request", /<after\/> must name an item/);
  assertRefused(rsm("<index>3</index>"), "feature-not-implemented", /index/);
  assertRefused(
    query({
      extra:
        `<set xmlns="http://jabber.org/protocol/rsm"/><set xmlns="http://jabber.org/protocol/rsm"/>`,
    }),
    "bad-request",
  );
});

Deno.test("a result wraps the room's message with queryid, archive id and a UTC delay stamp", () => {
  const inner = parse(
    `<message type="groupchat" from="${ROOM}/Bob" to="${USER}" id="m-1"><body>Hello</body></message>`,
  );
  const result = mamResultMessage({
    to: USER,
    from: ROOM,
    queryId: "f27",
    archiveId: "mid.$1",
    timestamp: Date.UTC(2026, 0, 10, 12, 0, 0, 5),
    message: inner,
  });
  assertXml(
    result,
    `<message to="${USER}" from="${ROOM}">
      <result xmlns="${MAM}" queryid="f27" id="mid.$1">
        <forwarded xmlns="urn:xmpp:forward:0">
          <delay xmlns="urn:xmpp:delay" stamp="2026-01-10T12:00:00.005Z"/>
          <message xmlns="jabber:client" type="groupchat" from="${ROOM}/Bob" id="m-1">
            <body>Hello</body>
          </message>
        </forwarded>
      </result>
    </message>`,
  );
  assert.equal(inner.attrs.to, USER, "the caller's element is not changed");
  assert.equal(inner.parent, null);
  const noQueryId = mamResultMessage({
    to: USER,
    from: ROOM,
    archiveId: "x",
    timestamp: 0,
    message: inner,
    id: "r1",
  });
  assert.equal(noQueryId.getChild("result", MAM)?.attrs.queryid, undefined);
  assert.equal(noQueryId.attrs.id, "r1");
});

Deno.test("fin says whether the results are complete, with first (and its index), last and count", () => {
  assertXml(
    mamFin({ complete: true, first: "a", firstIndex: 40, last: "b", count: 42 }),
    `<fin xmlns="${MAM}" complete="true">
      <set xmlns="http://jabber.org/protocol/rsm">
        <first index="40">a</first><last>b</last><count>42</count>
      </set>
    </fin>`,
  );
  assertXml(
    mamFin({ complete: false, first: "a", last: "a" }),
    `<fin xmlns="${MAM}" complete="false">
      <set xmlns="http://jabber.org/protocol/rsm"><first>a</first><last>a</last></set>
    </fin>`,
  );
  assertXml(
    mamFin({ complete: true, count: 0 }),
    `<fin xmlns="${MAM}" complete="true">
      <set xmlns="http://jabber.org/protocol/rsm"><count>0</count></set>
    </fin>`,
  );
});

Deno.test("the form of a get lists every supported field, ids as an open list, none required", () => {
  const answer = mamQueryForm();
  assert.ok(answer.is("query", MAM));
  const form = answer.getChild("x", "jabber:x:data");
  assert.equal(form?.attrs.type, "form");
  const fields = new Map(form?.getChildren("field").map((f) => [f.attrs.var, f]));
  assert.deepEqual([...fields.keys()], [
    "FORM_TYPE",
    "with",
    "start",
    "end",
    "before-id",
    "after-id",
    "ids",
  ]);
  assert.equal(fields.get("FORM_TYPE")?.attrs.type, "hidden");
  assert.equal(fields.get("FORM_TYPE")?.getChildText("value"), MAM);
  assert.equal(fields.get("with")?.attrs.type, "jid-single");
  assert.equal(fields.get("start")?.attrs.type, "text-single");
  assert.equal(fields.get("ids")?.attrs.type, "list-multi");
  const validate = fields.get("ids")?.getChild(
    "validate",
    "http://jabber.org/protocol/xdata-validate",
  );
  assert.equal(validate?.attrs.datatype, "xs:string");
  assert.ok(validate?.getChild("open"));
  assert.equal(form?.getChildren("field").filter((f) => f.getChild("required")).length, 0);
  assert.equal(fields.get("ids")?.getChildren("option").length, 0);
  assert.deepEqual(MAM_FEATURES, [MAM, "urn:xmpp:mam:2#extended"]);
});

Deno.test("metadata names the first and last message, or nothing for an empty archive", () => {
  assertXml(
    mamMetadata({
      first: { id: "a", timestamp: Date.UTC(2026, 0, 1) },
      last: { id: "z", timestamp: Date.UTC(2026, 0, 2, 3, 4, 5) },
    }),
    `<metadata xmlns="${MAM}">
      <start id="a" timestamp="2026-01-01T00:00:00.000Z"/>
      <end id="z" timestamp="2026-01-02T03:04:05.000Z"/>
    </metadata>`,
  );
  assertXml(mamMetadata(null), `<metadata xmlns="${MAM}"/>`);
});

Deno.test("an unknown archive id becomes item-not-found; other errors pass through", () => {
  const mapped = mamError(new UnknownArchiveIdError("mid.$gone"));
  assert.ok(mapped instanceof StanzaError);
  assert.equal(mapped.condition, "item-not-found");
  assert.equal(mapped.type, "cancel");
  assert.match(mapped.text ?? "", /'mid\.\$gone'/);
  const other = new Error("disk full");
  assert.equal(mamError(other), other);
});

// ---- the round trip: stanzas in, the archive queried, stanzas out, read back as a client would

/** The MAM handler the room core will have, reduced to what this module provides. */
async function withArchiveRouter(
  fn: (ctx: {
    ask: (id: string, payload: string) => Promise<Element[]>;
    append: (n: number) => Promise<void>;
  }) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "mg-mam-" });
  const kv = await Deno.openKv(join(dir, "test.db"));
  const batcher = new WriteBatcher(kv, { intervalMs: 60_000 });
  const T0 = Date.UTC(2026, 0, 10, 12, 0, 0);
  const archive = new RoomArchives(kv, batcher, { now: () => T0 + 60 * 60_000 })
    .forRoom("alice@example.org", asThreadId("900001"));
  const { router, sent } = recordingRouter({ isRegistered: () => true });
  router.iq("contact", "set", MAM, "query", async ({ payload, from, to }) => {
    const q = parseMamQuery(payload);
    const withNick = q.with?.startsWith(`${to.bare}/`)
      ? q.with.slice(to.bare.length + 1)
      : undefined;
    try {
      const page = await archive.query({ ...q, withNick });
      for (const m of page.messages) {
        sent.push(mamResultMessage({
          to: from.full,
          from: to.bare,
          queryId: q.queryId,
          archiveId: m.id,
          timestamp: m.timestamp,
          message: xml(
            "message",
            { type: "groupchat", from: `${to.bare}/${m.nick}` },
            xml("body", {}, m.text),
          ),
        }));
      }
      return mamFin(page);
    } catch (error) {
      throw mamError(error);
    }
  });
  router.iq("contact", "get", MAM, "query", () => mamQueryForm());
  try {
    await fn({
      ask: async (id, payload) => {
        sent.length = 0;
        await router.handle(
          parse(`<iq type="set" id="${id}" from="${USER}" to="${ROOM}">${payload}</iq>`),
        );
        // What a client receives: the serialised stanzas.
        return sent.map((stanza) => parseXml(stanza.toString()));
      },
      append: async (n) => {
        for (let i = 0; i < n; i++) {
          await archive.append({
            id: asMessageId(`mid.$${String(i).padStart(3, "0")}`),
            timestamp: T0 + i * 1000,
            actor: asUserId(i % 2 ? "100002" : "100003"),
            nick: i % 2 ? "Bob" : "Carol",
            fromSelf: false,
            text: `message ${i}`,
            attachments: [],
          });
        }
      },
    });
  } finally {
    await batcher.close();
    kv.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function resultIds(stanzas: Element[]): string[] {
  return stanzas.filter((s) => s.name === "message").map((s) =>
    s.getChild("result", MAM)?.attrs.id ?? ""
  );
}

function finOf(stanzas: Element[]): Element {
  const iq = stanzas.at(-1);
  assert.equal(iq?.name, "iq", "the iq result comes after the results");
  assert.equal(iq?.attrs.type, "result", iq?.toString());
  const fin = iq?.getChild("fin", MAM);
  assert.ok(fin, iq?.toString());
  return fin;
}

Deno.test("round trip: a client pages back through the room's archive with RSM and reaches the start", async () => {
  await withArchiveRouter(async ({ ask, append }) => {
    await append(25);
    const rsm = (inner: string) =>
      `<query xmlns="${MAM}" queryid="f1"><set xmlns="http://jabber.org/protocol/rsm">${inner}</set></query>`;
    const last = await ask("q1", rsm("<max>10</max><before/>"));
    assert.deepEqual(
      resultIds(last),
      Array.from({ length: 10 }, (_, i) => `mid.$${String(15 + i).padStart(3, "0")}`),
    );
    const firstResult = last[0].getChild("result", MAM);
    assert.equal(firstResult?.attrs.queryid, "f1");
    const forwarded = firstResult?.getChild("forwarded", "urn:xmpp:forward:0");
    assert.equal(
      forwarded?.getChild("delay", "urn:xmpp:delay")?.attrs.stamp,
      "2026-01-10T12:00:15.000Z",
    );
    assert.equal(
      forwarded?.getChild("message", "jabber:client")?.getChildText("body"),
      "message 15",
    );
    let fin = finOf(last);
    assert.equal(fin.attrs.complete, "false");
    const set = fin.getChild("set", "http://jabber.org/protocol/rsm");
    assert.equal(set?.getChild("first")?.attrs.index, "15");
    assert.equal(set?.getChildText("count"), "25");

    const seen = resultIds(last);
    let before = set?.getChildText("first") ?? "";
    for (let page = 0; page < 5 && fin.attrs.complete !== "true"; page++) {
      const stanzas = await ask(`p${page}`, rsm(`<max>10</max><before>${before}</before>`));
      seen.unshift(...resultIds(stanzas));
      fin = finOf(stanzas);
      before = fin.getChild("set", "http://jabber.org/protocol/rsm")?.getChildText("first") ?? "";
    }
    assert.equal(fin.attrs.complete, "true");
    assert.equal(seen.length, 25);
    assert.deepEqual(seen, [...seen].sort(), "every message once, in order");
  });
});

Deno.test("round trip: with, start and flip-page select and order the results", async () => {
  await withArchiveRouter(async ({ ask, append }) => {
    await append(10);
    const stanzas = await ask(
      "q2",
      `<query xmlns="${MAM}"><x xmlns="jabber:x:data" type="submit">` +
        `<field var="FORM_TYPE" type="hidden"><value>${MAM}</value></field>` +
        `<field var="with"><value>${ROOM}/Bob</value></field>` +
        `<field var="start"><value>2026-01-10T13:00:03+01:00</value></field>` +
        `</x><flip-page/></query>`,
    );
    assert.deepEqual(resultIds(stanzas), ["mid.$009", "mid.$007", "mid.$005", "mid.$003"]);
    const fin = finOf(stanzas);
    assert.equal(fin.attrs.complete, "true");
    const set = fin.getChild("set", "http://jabber.org/protocol/rsm");
    assert.equal(set?.getChildText("first"), "mid.$003", "first stays the oldest");
    assert.equal(set?.getChildText("count"), "4");
  });
});

Deno.test("round trip: an unknown id is answered item-not-found, a bad date bad-request", async () => {
  await withArchiveRouter(async ({ ask, append }) => {
    await append(3);
    const unknown = await ask(
      "q3",
      `<query xmlns="${MAM}"><set xmlns="http://jabber.org/protocol/rsm"><after>mid.$nope</after></set></query>`,
    );
    assert.equal(unknown.length, 1);
    assert.equal(unknown[0].attrs.type, "error");
    assert.equal(errorCondition(unknown[0]), "item-not-found");
    assert.match(errorText(unknown[0]) ?? "", /mid\.\$nope/);
    const badDate = await ask(
      "q4",
      `<query xmlns="${MAM}"><x xmlns="jabber:x:data" type="submit">` +
        `<field var="FORM_TYPE"><value>${MAM}</value></field><field var="end"><value>soon</value></field>` +
        `</x></query>`,
    );
    assert.equal(badDate.length, 1);
    assert.equal(errorCondition(badDate[0]), "bad-request");
  });
});
