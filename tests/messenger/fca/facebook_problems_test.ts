/** Telling a checkpoint, a suspension and a refused session from Facebook's pages and answers. */

import assert from "node:assert/strict";
import {
  problemFromAnswer,
  problemFromPage,
  problemFromUrl,
} from "../../../src/messenger/fca/facebook_problems.ts";

const CHECKPOINT =
  "https://www.facebook.com/checkpoint/828281030927956/?next=https%3A%2F%2Fwww.facebook.com%2F";

Deno.test("a checkpoint address is a checkpoint with that address, not a suspension", () => {
  assert.deepEqual(problemFromUrl(CHECKPOINT), {
    error: "checkpoint",
    errorSummary: "Facebook wants the account confirmed in a browser (checkpoint)",
    url: CHECKPOINT,
    suspended: false,
  });
  assert.equal(problemFromUrl("https://www.facebook.com/x/checkpoint/123/")?.error, "checkpoint");
});

Deno.test("a suspension is told by the disabled path or the page's own words", () => {
  assert.equal(problemFromUrl("https://www.facebook.com/checkpoint/disabled/")?.suspended, true);
  const page = "<h2>We suspended your account</h2>";
  const problem = problemFromPage(CHECKPOINT, page);
  assert.equal(problem?.suspended, true);
});

Deno.test("ordinary pages and other hosts are no problem", () => {
  assert.equal(problemFromUrl("https://www.facebook.com/"), undefined);
  assert.equal(problemFromUrl("https://example.org/checkpoint/1/"), undefined);
  assert.equal(problemFromPage("https://www.facebook.com/", "<html>feed</html>"), undefined);
});

Deno.test("fca's old in-page marker is a checkpoint too", () => {
  const problem = problemFromPage(
    "https://www.facebook.com/",
    `<a href="/checkpoint/block/?next=https%3A%2F%2Fwww.facebook.com%2F">Continue</a>`,
  );
  assert.equal(problem?.error, "checkpoint");
  assert.equal(
    problem?.url,
    "https://www.facebook.com/checkpoint/block/?next=https%3A%2F%2Fwww.facebook.com%2F",
  );
});

Deno.test("answers: redirects to a checkpoint, and 1357001 / 1357004, are problems", () => {
  assert.equal(
    problemFromAnswer({ statusCode: 302, location: CHECKPOINT })?.error,
    "checkpoint",
  );
  const redirect = `for (;;);{"__ar":1,"redirect":"${CHECKPOINT.replaceAll("/", "\\/")}"}`;
  assert.equal(
    (problemFromAnswer({ body: redirect }) as { url?: string } | undefined)?.url,
    CHECKPOINT,
  );
  assert.deepEqual(
    problemFromAnswer({
      body: `for (;;);{"__ar":1,"error":1357004,"errorSummary":"Sorry, something went wrong"}`,
    }),
    { error: 1357004, errorSummary: "Sorry, something went wrong" },
  );
  assert.equal(problemFromAnswer({ body: `for (;;);{"error":1357001}` })?.error, 1357001);
});

Deno.test("answers: other errors, other redirects and non-JSON are left to fca", () => {
  assert.equal(problemFromAnswer({ body: `for (;;);{"error":1545012}` }), undefined);
  assert.equal(
    problemFromAnswer({ statusCode: 302, location: "https://www.facebook.com/" }),
    undefined,
  );
  assert.equal(
    problemFromAnswer({ body: `{"o0":{"data":{"text":"\\"error\\":1357004"}}}\r\n{}` }),
    undefined,
  );
  assert.equal(problemFromAnswer({ body: "<html>Sorry</html>" }), undefined);
});
