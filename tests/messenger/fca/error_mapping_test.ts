/** fca's error shapes map to MessengerError codes, and messages never carry response bodies. */

import assert from "node:assert/strict";
import { redactValues } from "../../../src/secret.ts";
import {
  errorCodeOf,
  messengerErrorFromFca,
  toWireError,
} from "../../../src/messenger/fca/error_mapping.ts";

const code = (raw: unknown) => errorCodeOf(toWireError(raw));

Deno.test("fca's login failures map to auth, checkpoint and two-factor codes", () => {
  assert.equal(code({ error: "Error retrieving userID. This can be caused by…" }), "auth_failed");
  assert.equal(code({ error: "Wrong username/password." }), "auth_failed");
  assert.equal(
    code({ error: "Couldn't login. Facebook might have blocked this account. Please login…" }),
    "checkpoint",
  );
  assert.equal(code({ error: "Something went wrong with login approvals." }), "checkpoint");
  assert.equal(
    code({ error: "login-approval", errordesc: "Invalid 2FA code.", lerror: "x" }),
    "two_factor_failed",
  );
});

Deno.test("session, network, rate-limit and other failures", () => {
  assert.equal(code({ error: "Not logged in." }), "not_logged_in");
  assert.equal(code({ error: "Not logged in", res: {} }), "not_logged_in");
  assert.equal(code({ error: 1357001, errorSummary: "Not logged in" }), "not_logged_in");
  for (const errno of ["ENOTFOUND", "ECONNREFUSED", "ETIMEDOUT"]) {
    const operational = Object.assign(new Error(`getaddrinfo ${errno} www.facebook.com`), {
      name: "OperationalError",
      code: errno,
    });
    assert.equal(code(operational), "network", errno);
  }
  assert.equal(code({ cause: { code: "ECONNRESET" } }), "network");
  assert.equal(
    code({ error: 1390008, errorSummary: "You can't use this feature" }),
    "rate_limited",
  );
  assert.equal(code({ error: "Reaction is not a valid emoji." }), "bad_request");
  // setTitle's sentences for Facebook's 1545012 and 1545003.
  assert.equal(code({ error: "Cannot change chat title: Not member of chat." }), "bad_request");
  assert.equal(code({ error: "Cannot set title of single-user chat." }), "bad_request");
  // changeAdminStatus's sentences for Facebook's 1976004 and 1357031; its "unknown error" is not.
  assert.equal(
    code({ error: "Cannot alter admin status: you are not an admin.", rawResponse: {} }),
    "bad_request",
  );
  assert.equal(
    code({ error: "Cannot alter admin status: this thread is not a group chat." }),
    "bad_request",
  );
  assert.equal(code({ error: "Cannot alter admin status: unknown error." }), "internal");
  assert.equal(code({ error: 1976004, errorSummary: "Not an admin" }), "bad_request");
  assert.equal(
    code({ error: "JSON.parse error. Check the `detail` property on this error." }),
    "internal",
  );
  assert.equal(code("a string"), "internal");
  assert.equal(code(undefined), "internal");
});

Deno.test("error messages keep fca's short text but drop bodies and the session's secrets", () => {
  const error = messengerErrorFromFca(
    "login",
    {
      error: "Not logged in. s3cr3t-cookie-value",
      res: "<html>xs=s3cr3t-cookie-value</html>",
      detail: { body: "secret body" },
    },
    (text) => redactValues(text, ["s3cr3t-cookie-value"]),
  );
  assert.equal(error.code, "not_logged_in");
  assert.ok(error.message.includes("login"));
  assert.ok(!error.message.includes("s3cr3t-cookie-value"));
  assert.ok(!error.message.includes("html"));
  assert.ok(!error.message.includes("secret body"));
});
