import assert from "node:assert/strict";
import { parseCookies, secretCookieValues } from "../../src/messenger/credentials.ts";
import { MessengerError } from "../../src/messenger/errors.ts";

const XS = "xs-value-3f9a";

function refusal(input: string): string {
  try {
    parseCookies(input);
  } catch (error) {
    assert.ok(error instanceof MessengerError, String(error));
    assert.equal(error.code, "bad_request");
    assert.ok(!error.message.includes(XS), `a cookie value was echoed: ${error.message}`);
    return error.message;
  }
  assert.fail(`accepted: ${input}`);
}

Deno.test("fca appState, browser exports (name, expirationDate) and cookie strings all parse", () => {
  const appState = parseCookies(JSON.stringify([
    { key: "c_user", value: "100005", domain: "facebook.com", path: "/" },
    { key: "xs", value: XS, domain: ".facebook.com", expires: "Tue, 01 Dec 2026 00:00:00 GMT" },
  ]));
  assert.deepEqual(appState[1], {
    key: "xs",
    value: XS,
    domain: "facebook.com",
    path: "/",
    expires: "Tue, 01 Dec 2026 00:00:00 GMT",
  });

  const browser = parseCookies(JSON.stringify({
    cookies: [
      { name: "c_user", value: "100005" },
      { name: "xs", value: XS, expirationDate: 1796083200, secure: true, httpOnly: true },
    ],
  }));
  assert.deepEqual(browser[1], {
    key: "xs",
    value: XS,
    domain: "facebook.com",
    path: "/",
    expires: new Date(1796083200 * 1000).toUTCString(),
    secure: true,
    httpOnly: true,
  });

  const header = parseCookies(` c_user=100005; xs=${XS};datr=abc=def; `);
  assert.deepEqual(header.map((cookie) => [cookie.key, cookie.value]), [
    ["c_user", "100005"],
    ["xs", XS],
    ["datr", "abc=def"],
  ]);
});

Deno.test("unusable cookies are refused with a reason that never quotes a value", () => {
  assert.equal(refusal("  "), "No cookies given");
  assert.equal(
    refusal(`[{"key": "xs", "value": "${XS}"`),
    "Cookies look like JSON but do not parse",
  );
  assert.equal(refusal(`{"xs": "${XS}"}`), "Cookie JSON must be an array of cookies");
  assert.equal(refusal(`["${XS}"]`), "Cookie 1 is not an object");
  assert.equal(refusal(`[{"value": "${XS}"}]`), "Cookie 1 has no key or name");
  assert.equal(refusal(`[{"name": "xs", "value": 5}]`), "Cookie xs has no string value");
  assert.equal(refusal(`c_user=1; ${XS}`), "Cookie 2 is not of the form name=value");
  assert.match(refusal(`xs=${XS}`), /^Cookies are missing c_user: export them/);
  assert.match(refusal("c_user=1; datr=2"), /^Cookies are missing xs/);
});

Deno.test("what must not be logged: every cookie but the public c_user id", () => {
  const cookies = parseCookies(`c_user=100005; xs=${XS}; datr=d4tr`);
  assert.deepEqual(secretCookieValues(cookies), [XS, "d4tr"]);
  assert.deepEqual(secretCookieValues([{ key: "c_user", value: "1" }]), []);
});
