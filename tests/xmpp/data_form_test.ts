import assert from "node:assert/strict";
import type { Field, FormStep } from "../../src/gateway/command.ts";
import {
  NS_DATA_FORMS,
  parseSubmittedForm,
  renderForm,
  renderResult,
} from "../../src/xmpp/data_form.ts";
import { StanzaError } from "../../src/xmpp/stanza_error.ts";
import type { Element } from "../../src/xmpp/xml.ts";
import { parse } from "./_stanzas.ts";

const EVERY_TYPE: Field[] = [
  { name: "intro", type: "fixed", value: "Line one\nLine two" },
  { name: "name", type: "text-single", label: "Name", required: true, value: "Alice" },
  { name: "password", type: "text-private", label: "Password", description: "Your secret" },
  { name: "bio", type: "text-multi", label: "Bio", value: "one\ntwo" },
  { name: "notify", type: "boolean", label: "Notify", value: true },
  {
    name: "colour",
    type: "list-single",
    label: "Colour",
    value: "red",
    options: [{ value: "red", label: "Red" }, { value: "blue" }],
  },
  {
    name: "days",
    type: "list-multi",
    label: "Days",
    value: ["mon", "tue"],
    options: [{ value: "mon" }, { value: "tue" }, { value: "wed" }],
  },
  { name: "friend", type: "jid-single", label: "Friend" },
  { name: "token", type: "hidden", value: "server-state" },
];

function step(fields: Field[]): FormStep {
  return {
    kind: "form",
    title: "Settings",
    instructions: "Fill this in.\nThen submit.",
    fields,
    submit: () => ({ kind: "result" }),
  };
}

function submitted(fields: string): Element {
  return parse(`<x xmlns="jabber:x:data" type="submit">${fields}</x>`);
}

function field(form: Element, name: string): Element {
  const found = form.getChildren("field").find((f) => f.attrs.var === name);
  assert.ok(found, `field ${name} in ${form.toString()}`);
  return found;
}

function values(el: Element): string[] {
  return el.getChildren("value").map((v) => v.getText());
}

function assertBadRequest(fn: () => unknown, text: string): void {
  assert.throws(fn, (error) => {
    assert.ok(error instanceof StanzaError);
    assert.equal(error.condition, "bad-request");
    assert.equal(error.text, text);
    return true;
  });
}

Deno.test("a form step renders as a jabber:x:data form with title and instructions", () => {
  const form = renderForm(step(EVERY_TYPE));
  assert.equal(form.attrs.xmlns, NS_DATA_FORMS);
  assert.equal(form.attrs.type, "form");
  assert.equal(form.getChildText("title"), "Settings");
  assert.deepEqual(form.getChildren("instructions").map((i) => i.getText()), [
    "Fill this in.",
    "Then submit.",
  ]);
});

Deno.test("every field type renders with its label, description, required flag and values", () => {
  const form = renderForm(step(EVERY_TYPE));
  const name = field(form, "name");
  assert.deepEqual(name.attrs, { var: "name", type: "text-single", label: "Name" });
  assert.ok(name.getChild("required"));
  assert.deepEqual(values(name), ["Alice"]);

  const password = field(form, "password");
  assert.equal(password.attrs.type, "text-private");
  assert.equal(password.getChildText("desc"), "Your secret");
  assert.equal(password.getChild("required"), undefined);
  assert.deepEqual(values(password), []);

  assert.deepEqual(values(field(form, "bio")), ["one", "two"]);
  assert.deepEqual(values(field(form, "notify")), ["1"]);

  const colour = field(form, "colour");
  assert.deepEqual(values(colour), ["red"]);
  assert.deepEqual(
    colour.getChildren("option").map((o) => [o.attrs.label, o.getChildText("value")]),
    [["Red", "red"], [undefined, "blue"]],
  );
  assert.deepEqual(values(field(form, "days")), ["mon", "tue"]);
  assert.equal(field(form, "friend").attrs.type, "jid-single");
  assert.deepEqual(values(field(form, "token")), ["server-state"]);
  assert.equal(field(form, "token").attrs.type, "hidden");
});

Deno.test("a multi-line fixed text becomes one fixed field per line", () => {
  const form = renderForm(step(EVERY_TYPE));
  const fixed = form.getChildren("field").filter((f) => f.attrs.type === "fixed");
  assert.deepEqual(fixed.map((f) => values(f)), [["Line one"], ["Line two"]]);
});

Deno.test("a result renders its note as an info note and its table as reported items", () => {
  const [note, table] = renderResult({
    kind: "result",
    note: "2 contacts",
    table: {
      columns: [{ name: "id", label: "ID" }, { name: "name", label: "Name" }],
      rows: [{ id: "1", name: "Ann" }, { id: "2" }],
    },
  });
  assert.equal(note.toString(), `<note type="info">2 contacts</note>`);
  assert.equal(table.attrs.type, "result");
  assert.equal(table.attrs.xmlns, NS_DATA_FORMS);
  assert.deepEqual(
    table.getChild("reported")!.getChildren("field").map((f) => [f.attrs.var, f.attrs.label]),
    [["id", "ID"], ["name", "Name"]],
  );
  assert.deepEqual(
    table.getChildren("item").map((item) =>
      item.getChildren("field").map((f) => `${f.attrs.var}=${f.getChildText("value")}`)
    ),
    [["id=1", "name=Ann"], ["id=2", "name="]],
  );
});

Deno.test("a result without note or table renders nothing", () => {
  assert.deepEqual(renderResult({ kind: "result" }), []);
});

Deno.test("a submitted form becomes typed values checked against the step's fields", () => {
  const parsed = parseSubmittedForm(
    submitted(`
      <field var="name"><value> Bob </value></field>
      <field var="password"><value> s3cret </value></field>
      <field var="bio"><value>a</value><value>b</value></field>
      <field var="notify"><value>false</value></field>
      <field var="colour"><value>blue</value></field>
      <field var="days"><value>mon</value><value>wed</value></field>
      <field var="friend"><value>Carol@Example.ORG/res</value></field>
      <field var="token"><value>tampered</value></field>
      <field var="unknown"><value>ignored</value></field>`),
    EVERY_TYPE,
  );
  assert.deepEqual(parsed, {
    name: "Bob",
    password: " s3cret ",
    bio: "a\nb",
    notify: false,
    colour: "blue",
    days: ["mon", "wed"],
    friend: "carol@example.org/res",
    token: "server-state",
  });
});

Deno.test("a field left out of the submission keeps its pre-filled value, one sent empty is empty", () => {
  const parsed = parseSubmittedForm(
    submitted(`<field var="name"><value>Bob</value></field><field var="days"/>`),
    EVERY_TYPE,
  );
  assert.deepEqual(parsed, {
    name: "Bob",
    bio: "one\ntwo",
    notify: true,
    colour: "red",
    token: "server-state",
  });
});

Deno.test("booleans accept 1, 0, true and false", () => {
  const fields: Field[] = [{ name: "b", type: "boolean", label: "B" }];
  for (const [text, expected] of [["1", true], ["true", true], ["0", false], ["false", false]]) {
    assert.deepEqual(
      parseSubmittedForm(submitted(`<field var="b"><value>${text}</value></field>`), fields),
      { b: expected },
    );
  }
  assertBadRequest(
    () => parseSubmittedForm(submitted(`<field var="b"><value>maybe</value></field>`), fields),
    "B: must be true or false (1 or 0)",
  );
});

Deno.test("a missing required field is a bad-request naming the field by its label", () => {
  const fields = EVERY_TYPE.map((f) => f.name === "name" ? { ...f, value: undefined } : f);
  assertBadRequest(() => parseSubmittedForm(submitted(""), fields), "Name: a value is required");
  assertBadRequest(
    () => parseSubmittedForm(submitted(`<field var="name"><value>  </value></field>`), EVERY_TYPE),
    "Name: a value is required",
  );
  assertBadRequest(() => parseSubmittedForm(undefined, fields), "Name: a value is required");
});

Deno.test("a list-single value must be one of the options", () => {
  assertBadRequest(
    () =>
      parseSubmittedForm(
        submitted(`<field var="name"><value>x</value></field>
          <field var="colour"><value>purple</value></field>`),
        EVERY_TYPE,
      ),
    "Colour: 'purple' is not one of the choices (red, blue)",
  );
});

Deno.test("a jid-single value must be a valid JID", () => {
  assertBadRequest(
    () =>
      parseSubmittedForm(
        submitted(`<field var="name"><value>x</value></field>
          <field var="friend"><value>a@b@c</value></field>`),
        EVERY_TYPE,
      ),
    "Friend: 'a@b@c' is not a valid XMPP address",
  );
});

Deno.test("a single-value field with two values is refused", () => {
  assertBadRequest(
    () =>
      parseSubmittedForm(submitted(`<field var="name"><value>a</value><value>b</value></field>`), [
        EVERY_TYPE[1],
      ]),
    "Name: only one value is allowed",
  );
});

Deno.test("a field without label is named by its var", () => {
  assertBadRequest(
    () =>
      parseSubmittedForm(submitted(""), [{ name: "email", type: "text-single", required: true }]),
    "email: a value is required",
  );
});

Deno.test("a form that is not of type submit is refused", () => {
  assertBadRequest(
    () => parseSubmittedForm(parse(`<x xmlns="jabber:x:data" type="form"/>`), EVERY_TYPE),
    "The form must be of type 'submit', not 'form'",
  );
});

Deno.test("a text-private value never appears in an error", () => {
  const fields: Field[] = [
    { name: "password", type: "text-private", label: "Password", required: true },
    { name: "pin", type: "text-private", label: "PIN" },
  ];
  assert.throws(
    () =>
      parseSubmittedForm(
        submitted(`<field var="pin"><value>hunter2</value><value>hunter3</value></field>
          <field var="password"><value>x</value></field>`),
        fields,
      ),
    (error) => error instanceof StanzaError && !/hunter/.test(error.message),
  );
});
