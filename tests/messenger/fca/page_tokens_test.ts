/**
 * Reading a logged-in page's tokens and MQTT configuration, the 2020 way and the 2026 way (the
 * fake edge's two home pages, plus spellings seen on real pages).
 */

import assert from "node:assert/strict";
import {
  hasLegacyDtsg,
  pageTokensFrom,
  regionOf,
  ttstampOf,
} from "../../../src/messenger/fca/page_tokens.ts";
import { homePage } from "./_fake_edge/pages.ts";

const FACTS = {
  user: "100001",
  mqttEndpoint: "wss://edge-chat.facebook.com/chat?region=atn&sid=0",
  seqId: "123",
  fbDtsg: "NAcPd1:19:1700000000",
  lsd: "AVqLsdToken",
};

Deno.test("a 2026 page gives every token and the MQTT endpoint, unescaped", () => {
  const html = homePage("2026", FACTS);
  assert.equal(hasLegacyDtsg(html), false, "fca 1.3.10 finds no token on it");
  assert.deepEqual(pageTokensFrom(html), {
    fbDtsg: FACTS.fbDtsg,
    lsd: FACTS.lsd,
    mqttEndpoint: FACTS.mqttEndpoint,
    region: "ATN",
  });
});

Deno.test("a 2020 page gives the form input's token (and no LSD)", () => {
  const html = homePage("2020", FACTS);
  assert.equal(hasLegacyDtsg(html), true);
  assert.deepEqual(pageTokensFrom(html), { fbDtsg: FACTS.fbDtsg });
});

Deno.test("other spellings: DTSGInitData, unquoted MqttWebConfig keys, spaces", () => {
  const html = `["DTSGInitData",[],{"token":"tok1","async_get_token":"x"},1]` +
    `["LSD", [], {"token": "lsd1"}, 2]` +
    `["MqttWebConfig",[],{fbid:"1",appID:219994525426954,endpoint:"wss:\\/\\/edge-chat.facebook.com\\/chat?region=vll",pollingEndpoint:""},3790]`;
  assert.deepEqual(pageTokensFrom(html), {
    fbDtsg: "tok1",
    lsd: "lsd1",
    mqttEndpoint: "wss://edge-chat.facebook.com/chat?region=vll",
    region: "VLL",
  });
});

Deno.test("a page without tokens (the login page) gives nothing; a bad endpoint is left out", () => {
  assert.deepEqual(pageTokensFrom("<html><body>Log in</body></html>"), {});
  assert.deepEqual(
    pageTokensFrom(`["MqttWebConfig",[],{"endpoint":"https:\\/\\/not-a-websocket"}]`),
    {},
  );
});

Deno.test("ttstamp is '2' and the token's character codes; the region defaults to PRN", () => {
  assert.equal(ttstampOf("AB"), "26566");
  assert.equal(regionOf("wss://edge-chat.facebook.com/chat"), "PRN");
  assert.equal(regionOf("not a url"), "PRN");
});
