/**
 * The session tokens and MQTT configuration a logged-in Facebook page carries, read the 2020 way
 * and the 2026 way.
 *
 * fca-unofficial 1.3.10 only knows `name="fb_dtsg" value="…"` and three spellings of the MQTT
 * configuration that Facebook no longer serves; without them every POST and the listener fail.
 * Current pages carry the same facts as JSON modules: `["DTSGInitialData",[],{"token":"…"}]`,
 * `["LSD",[],{"token":"…"}]`, `["MqttWebConfig",[],{…"endpoint":"wss:\/\/…?region=…"…}]` and
 * `["MqttWebDeviceID",[],{"clientID":"…"}]` (see shared/notes/facebook-2026.md). This module reads
 * both; the fca Worker gives fca what fca could not find itself. Pure, so it is unit-tested.
 *
 * The device id is not read: fca puts a random one into its MQTT login, which the mqtt client
 * serialises in its constructor, before the adapter can reach it.
 *
 * @module
 */

/** What a page tells about the session. Absent fields were not on the page. */
export interface PageTokens {
  /** The request token every POST carries as `fb_dtsg`. */
  fbDtsg?: string;
  /** The LSD token: form field `lsd` and header `x-fb-lsd` on current clients' requests. */
  lsd?: string;
  /** The Messenger MQTT websocket endpoint, unescaped (`wss://edge-chat.facebook.com/chat?…`). */
  mqttEndpoint?: string;
  /** The endpoint's region in upper case, as fca keeps it (`PRN` when the endpoint names none). */
  region?: string;
}

const LEGACY_DTSG = /name="fb_dtsg" value="([^"]+)"/;
/** `DTSGInitialData` (and `DTSGInitData`, its other name in page modules). */
const MODULE_DTSG = /\["DTSGInit(?:ial)?Data",\s*\[\],\s*\{[^}]*?"token":\s*"([^"]+)"/;
const LSD = /\["LSD",\s*\[\],\s*\{[^}]*?"token":\s*"([^"]+)"/;
/** The MqttWebConfig module's object, keys quoted (current) or not (older pages). */
const MQTT_CONFIG = /\["MqttWebConfig",\s*\[\],\s*\{([^}]*)\}/;
const ENDPOINT = /"?endpoint"?\s*:\s*"((?:[^"\\]|\\.)+)"/;

/** Reads the tokens from a page's HTML; anything not found is left out. */
export function pageTokensFrom(html: string): PageTokens {
  const tokens: PageTokens = {};
  const dtsg = MODULE_DTSG.exec(html)?.[1] ?? LEGACY_DTSG.exec(html)?.[1];
  if (dtsg !== undefined) tokens.fbDtsg = dtsg;
  const lsd = LSD.exec(html)?.[1];
  if (lsd !== undefined) tokens.lsd = lsd;
  const config = MQTT_CONFIG.exec(html)?.[1];
  const rawEndpoint = config === undefined ? undefined : ENDPOINT.exec(config)?.[1];
  const endpoint = rawEndpoint === undefined ? undefined : unescapeJson(rawEndpoint);
  if (endpoint !== undefined && isWebsocketUrl(endpoint)) {
    tokens.mqttEndpoint = endpoint;
    tokens.region = regionOf(endpoint);
  }
  return tokens;
}

/** True when fca 1.3.10 finds the request token on this page by itself (the 2020 form input). */
export function hasLegacyDtsg(html: string): boolean {
  return LEGACY_DTSG.test(html);
}

/** The `jazoest` value fca derives from a token: "2" and the token's character codes. */
export function ttstampOf(fbDtsg: string): string {
  let ttstamp = "2";
  for (let i = 0; i < fbDtsg.length; i++) ttstamp += fbDtsg.charCodeAt(i);
  return ttstamp;
}

/** The `region` query parameter of an MQTT endpoint in upper case; PRN when it has none. */
export function regionOf(endpoint: string): string {
  try {
    return (new URL(endpoint).searchParams.get("region") ?? "prn").toUpperCase();
  } catch {
    return "PRN";
  }
}

function unescapeJson(raw: string): string | undefined {
  try {
    return JSON.parse(`"${raw}"`);
  } catch {
    return undefined;
  }
}

function isWebsocketUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "wss:" || url.protocol === "ws:";
  } catch {
    return false;
  }
}
