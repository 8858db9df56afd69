/**
 * The HTML the fake Facebook serves: exactly what fca-unofficial scrapes, nothing more.
 *
 * Home page: `irisSeqID` + MQTT `endpoint` (buildAPI's first regexp; the region query parameter
 * is required), `fb_dtsg` and `revision` (makeDefaults). Login page: the `#login_form` inputs,
 * the LSD token and `lgnrnd` (makeLogin). Checkpoint page: a form and the "checkpoint/?next"
 * marker that makes fca ask for a two-factor code, and the error attribute it looks for.
 *
 * @module
 */

/** The logged-in home page. */
export function homePage(options: { mqttEndpoint: string; seqId?: string }): string {
  const mqtt = options.seqId === undefined
    ? ""
    : `,irisSeqID:"${options.seqId}",appID:219994525426954,endpoint:"${options.mqttEndpoint}",`;
  return `<!DOCTYPE html><html><head><title>Facebook</title></head><body>
<script>requireLazy(["MqttWebConfig"],function(){});var c={fbid:"0"${mqtt}pollingEndpoint:""};</script>
<form><input type="hidden" name="fb_dtsg" value="AQHfake:dtsg" autocomplete="off" /></form>
<script>var s={"server_revision":1001,"revision":1001,"push_phase":"C3"};</script>
</body></html>`;
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
<input type="hidden" name="fb_dtsg" value="AQHfake:dtsg" />
<input type="hidden" name="nh" value="fakenh" />
${field}
<button id="checkpointSubmitButton" name="submit[Continue]">Continue</button>
</form><a href="/checkpoint/?next">checkpoint/?next</a></body></html>`;
}
