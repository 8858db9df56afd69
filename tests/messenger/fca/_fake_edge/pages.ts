/**
 * The HTML the fake Facebook serves: exactly what the adapter and fca-unofficial scrape.
 *
 * Home page, two variants. **2020** (what fca 1.3.10 was written for): `irisSeqID` + MQTT
 * `endpoint` (buildAPI's first regexp; the region query parameter is required), `fb_dtsg` as a
 * form input and `revision` (makeDefaults). **2026** (shared/notes/facebook-2026.md): the same
 * facts only as page modules — `DTSGInitialData`, `LSD`, `MqttWebConfig` (quoted keys, escaped
 * slashes, no sequence id) and `MqttWebDeviceID` — none of which fca finds by itself. Login page:
 * the `#login_form` inputs, the LSD token and `lgnrnd` (makeLogin). Two-factor page: a form and
 * the "checkpoint/?next" marker that makes fca ask for a code, and the error attribute it looks
 * for. Account checkpoint page: what a locked or suspended account lands on.
 *
 * @module
 */

/** Which home page the fake serves. */
export type PageStyle = "2020" | "2026";

/** What a home page tells about the session. */
export interface HomePageFacts {
  user: string;
  mqttEndpoint: string;
  seqId: string;
  fbDtsg: string;
  lsd: string;
}

/** The logged-in home page in the given style. */
export function homePage(style: PageStyle, facts: HomePageFacts): string {
  return style === "2026" ? homePage2026(facts) : homePage2020(facts);
}

function homePage2020(facts: HomePageFacts): string {
  const mqtt =
    `,irisSeqID:"${facts.seqId}",appID:219994525426954,endpoint:"${facts.mqttEndpoint}",`;
  return `<!DOCTYPE html><html><head><title>Facebook</title></head><body>
<script>requireLazy(["MqttWebConfig"],function(){});var c={fbid:"0"${mqtt}pollingEndpoint:""};</script>
<form><input type="hidden" name="fb_dtsg" value="${facts.fbDtsg}" autocomplete="off" /></form>
<script>var s={"server_revision":1001,"revision":1001,"push_phase":"C3"};</script>
</body></html>`;
}

function homePage2026(facts: HomePageFacts): string {
  const define = [
    ["DTSGInitialData", [], { token: facts.fbDtsg }, 258],
    ["LSD", [], { token: facts.lsd }, 323],
    ["MqttWebConfig", [], {
      fbid: facts.user,
      appID: 219994525426954,
      endpoint: facts.mqttEndpoint,
      pollingEndpoint: "https://edge-chat.facebook.com/mqtt/pull",
      subscribedTopics: [],
      capabilities: 10,
      clientCapabilities: 3,
      chatVisibility: false,
      hostNameOverride: "",
    }, 3790],
    ["MqttWebDeviceID", [], { clientID: "6c1f3d1e-7c7a-4e43-9f1e-2e4f5a6b7c8d" }, 5003],
    ["CurrentUserInitialData", [], { USER_ID: facts.user, ACCOUNT_ID: facts.user }, 270],
    ["SiteData", [], { server_revision: 1019999001, client_revision: 1019999001 }, 317],
  ];
  // Facebook escapes slashes in these JSON blocks; fca's own MQTT regexps do not match them.
  const json = JSON.stringify({
    require: [["ScheduledServerJS", "handle", null, [{ __bbox: { define } }]]],
  }).replaceAll("/", "\\/");
  return `<!DOCTYPE html><html lang="en"><head><title>Facebook</title></head><body>
<div id="mount_0_0_Ab"></div>
<script type="application/json" data-content-len="1" data-sjs>${json}</script>
</body></html>`;
}

/**
 * The page of a checkpoint the account must pass in a browser; `suspended` words it the way a
 * suspended account's page is (the adapter tells suspensions by those words).
 */
export function accountCheckpointPage(suspended: boolean): string {
  const words = suspended
    ? "We suspended your account. You have 180 days left to disagree with our decision."
    : "Confirm your identity. We need more information to make sure this is your account.";
  return `<!DOCTYPE html><html><head><title>Facebook</title></head><body>
<div role="main"><h2>${words}</h2><a href="/help/">Learn more</a></div></body></html>`;
}

/** The login page (what a browser without cookies gets). */
export function loginPage(): string {
  return `<!DOCTYPE html><html><head><title>Log in to Facebook</title></head><body>
<script>["LSD",[],{"token":"AVqfakeLSD"}]</script>
<form id="login_form" method="post" action="/login/device-based/regular/login/">
<input type="hidden" name="jazoest" value="2711" />
<input type="hidden" name="lsd" value="AVqfakeLSD" />
<input type="hidden" name="lgnrnd" value="123456_abcd" />
<input type="text" name="email" value="" />
<input type="password" name="pass" value="" />
</form></body></html>`;
}

/** The two-factor checkpoint page; `error` marks a refused code the way fca detects it. */
export function checkpointPage(error?: string): string {
  const field = error === undefined
    ? `<div><input type="text" name="approvals_code" id="approvals_code" value="" /></div>`
    : `<div data-xui-error="${error}"><input type="text" name="approvals_code" id="approvals_code" value="" /></div>`;
  return `<!DOCTYPE html><html><head><title>Login approval needed</title></head><body>
<form method="post" action="/checkpoint/?next">
<input type="hidden" name="fb_dtsg" value="AQHfake:checkpoint-dtsg" />
<input type="hidden" name="nh" value="fakenh" />
${field}
<button id="checkpointSubmitButton" name="submit[Continue]">Continue</button>
</form><a href="/checkpoint/?next">checkpoint/?next</a></body></html>`;
}
